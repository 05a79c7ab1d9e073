import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import type { SkillRequirements, SkillStatusEntry } from '../protocol/generated/types.js';
import type { BinaryLocator } from './binary-locator.js';
import { parseSkillManifest, type SkillManifest } from './skill-manifest.js';

export type SkillSource = 'openclaw-extra' | 'openclaw-managed' | 'openclaw-workspace';

/** A skill folder found on disk. */
export interface SkillRecord {
  manifest: SkillManifest;
  source: SkillSource;
  baseDir: string;
  filePath: string;
  /** `metadata.openclaw.skillKey`, else the name: the key under `skills.entries`. */
  skillKey: string;
}

export interface SkillFolders {
  workspaceSkillsDir: string;
  managedSkillsDir: string;
  /** `skills.load.extraDirs`. */
  extraDirs: readonly string[];
}

export interface SkillCheckContext {
  config: OpenClawConfig;
  env: Readonly<Record<string, string | undefined>>;
  bins: BinaryLocator;
  platform?: NodeJS.Platform;
}

/**
 * Every skill of the folders, one per name: the workspace overrides the managed folder, which
 * overrides `skills.load.extraDirs` (so a user's own copy of a skill wins). Sorted by name.
 */
export async function loadSkills(folders: SkillFolders): Promise<SkillRecord[]> {
  const byName = new Map<string, SkillRecord>();
  const layers: [string, SkillSource][] = [
    ...folders.extraDirs.map((dir): [string, SkillSource] => [dir, 'openclaw-extra']),
    [folders.managedSkillsDir, 'openclaw-managed'],
    [folders.workspaceSkillsDir, 'openclaw-workspace'],
  ];
  for (const [dir, source] of layers) {
    for (const record of await readSkillFolder(dir, source)) byName.set(record.manifest.name, record);
  }
  return [...byName.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

async function readSkillFolder(dir: string, source: SkillSource): Promise<SkillRecord[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    // A folder that does not exist (yet) simply holds no skills.
    return [];
  }
  const records: SkillRecord[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const baseDir = join(dir, entry.name);
    const filePath = join(baseDir, 'SKILL.md');
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch {
      continue;
    }
    const manifest = await parseSkillManifest(text, entry.name);
    records.push({ manifest, source, baseDir, filePath, skillKey: manifest.skillKey ?? manifest.name });
  }
  return records;
}

/** One skill as `skills.status` reports it: requirements checked against the PATH, env and config. */
export async function skillStatus(record: SkillRecord, ctx: SkillCheckContext): Promise<SkillStatusEntry> {
  const { manifest } = record;
  const entry = ctx.config.skills?.entries?.[record.skillKey];
  const platform = ctx.platform ?? process.platform;
  const requirements: SkillRequirements = { ...manifest.requires, os: manifest.os };
  const missingBins: string[] = [];
  for (const bin of manifest.requires.bins) if (!(await ctx.bins.has(bin))) missingBins.push(bin);
  let anyBinFound = manifest.requires.anyBins.length === 0;
  for (const bin of manifest.requires.anyBins) if (!anyBinFound && (await ctx.bins.has(bin))) anyBinFound = true;
  const envSatisfied = (name: string) =>
    present(ctx.env[name]) || present(entry?.env?.[name]) || (name === manifest.primaryEnv && present(entry?.apiKey));
  const configChecks = manifest.requires.config.map((path) => ({ path, satisfied: truthyAt(ctx.config, path) }));
  const missing: SkillRequirements = {
    bins: missingBins,
    anyBins: anyBinFound ? [] : manifest.requires.anyBins,
    env: manifest.requires.env.filter((name) => !envSatisfied(name)),
    config: configChecks.filter((c) => !c.satisfied).map((c) => c.path),
    os: manifest.os.length && !manifest.os.includes(platform) ? manifest.os : [],
  };
  const disabled = entry?.enabled === false;
  const complete = Object.values(missing).every((list) => list.length === 0);
  const status: SkillStatusEntry = {
    name: manifest.name,
    description: manifest.description,
    source: record.source,
    filePath: record.filePath,
    baseDir: record.baseDir,
    skillKey: record.skillKey,
    always: manifest.always,
    disabled,
    // The allowlist (`skills.allowBundled`) governs bundled skills only, and this gateway bundles none.
    blockedByAllowlist: false,
    // `always` skills are offered whatever they lack; the operator can still disable them.
    eligible: !disabled && (manifest.always || complete),
    requirements,
    missing,
    configChecks,
    install: manifest.install
      .filter((spec) => spec.os.length === 0 || spec.os.includes(platform))
      .map(({ id, kind, label, bins }) => ({ id, kind, label, bins })),
  };
  if (manifest.primaryEnv) status.primaryEnv = manifest.primaryEnv;
  if (manifest.emoji) status.emoji = manifest.emoji;
  if (manifest.homepage) status.homepage = manifest.homepage;
  return status;
}

/** Every executable the skills name (requirements and installers), for nodes that auto-allow them. */
export function skillBins(records: readonly SkillRecord[]): string[] {
  const bins = new Set<string>();
  for (const { manifest } of records) {
    for (const bin of [...manifest.requires.bins, ...manifest.requires.anyBins, ...manifest.install.flatMap((s) => s.bins)]) bins.add(bin);
  }
  return [...bins].sort();
}

function truthyAt(config: OpenClawConfig, path: string): boolean {
  let value: unknown = config;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return false;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

function present(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
