import JSON5 from 'json5';

export type SkillInstallKind = 'brew' | 'node' | 'go' | 'uv' | 'download';

/** One way to install what a skill needs (`metadata.openclaw.install[]`). */
export interface SkillInstallSpec {
  id: string;
  kind: SkillInstallKind;
  label: string;
  bins: string[];
  /** brew */
  formula?: string;
  /** node, uv */
  package?: string;
  /** go */
  module?: string;
  /** download */
  url?: string;
  archive?: string;
  extract?: boolean;
  stripComponents?: number;
  targetDir?: string;
  /** Platforms the installer applies to (`process.platform` names); empty means all. */
  os: string[];
}

export interface SkillRequires {
  bins: string[];
  anyBins: string[];
  env: string[];
  config: string[];
}

/** What SKILL.md's front-matter says about a skill. */
export interface SkillManifest {
  name: string;
  description: string;
  homepage?: string;
  emoji?: string;
  skillKey?: string;
  primaryEnv?: string;
  always: boolean;
  os: string[];
  requires: SkillRequires;
  install: SkillInstallSpec[];
}

const KINDS: ReadonlySet<string> = new Set<SkillInstallKind>(['brew', 'node', 'go', 'uv', 'download']);
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Reads the YAML front-matter of a SKILL.md. `metadata` may be a mapping or, as skills often
 * write it, a one-line JSON(5) string; its `openclaw` object carries requirements and installers.
 * A file without front-matter is a skill named after its folder with no requirements.
 */
export async function parseSkillManifest(text: string, folderName: string): Promise<SkillManifest> {
  const match = FRONT_MATTER.exec(text);
  // The YAML parser (some 9 MB once loaded) is only loaded by a gateway that has skills to read.
  const front = match ? asRecord((await import('yaml')).parse(match[1]!)) : {};
  const meta = asRecord(asRecord(parseMetadata(front.metadata)).openclaw);
  const requires = asRecord(meta.requires);
  const homepage = str(front.homepage) ?? str(meta.homepage);
  const manifest: SkillManifest = {
    name: str(front.name) ?? folderName,
    description: str(front.description) ?? '',
    always: meta.always === true,
    os: strings(meta.os),
    requires: { bins: strings(requires.bins), anyBins: strings(requires.anyBins), env: strings(requires.env), config: strings(requires.config) },
    install: installSpecs(meta.install),
  };
  if (homepage) manifest.homepage = homepage;
  if (str(meta.emoji)) manifest.emoji = str(meta.emoji);
  if (str(meta.skillKey)) manifest.skillKey = str(meta.skillKey);
  if (str(meta.primaryEnv)) manifest.primaryEnv = str(meta.primaryEnv);
  return manifest;
}

function parseMetadata(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON5.parse(value);
  } catch {
    return {};
  }
}

function installSpecs(value: unknown): SkillInstallSpec[] {
  if (!Array.isArray(value)) return [];
  const specs: SkillInstallSpec[] = [];
  value.forEach((raw, index) => {
    const spec = asRecord(raw);
    const kind = str(spec.kind);
    if (!kind || !KINDS.has(kind)) return;
    const parsed: SkillInstallSpec = {
      // Installers without an id are addressed by kind, then by position when a kind repeats.
      id: str(spec.id) ?? (specs.some((s) => s.id === kind) ? `${kind}-${index}` : kind),
      kind: kind as SkillInstallKind,
      label: str(spec.label) ?? defaultLabel(kind, spec),
      bins: strings(spec.bins),
      os: strings(spec.os),
    };
    for (const key of ['formula', 'package', 'module', 'url', 'archive', 'targetDir'] as const) {
      const text = str(spec[key]);
      if (text) parsed[key] = text;
    }
    if (typeof spec.extract === 'boolean') parsed.extract = spec.extract;
    if (typeof spec.stripComponents === 'number' && Number.isInteger(spec.stripComponents) && spec.stripComponents >= 0) {
      parsed.stripComponents = spec.stripComponents;
    }
    specs.push(parsed);
  });
  return specs;
}

function defaultLabel(kind: string, spec: Record<string, unknown>): string {
  const what = str(spec.formula) ?? str(spec.package) ?? str(spec.module) ?? str(spec.url) ?? 'dependencies';
  return kind === 'download' ? `Download ${what}` : `Install ${what} (${kind === 'node' ? 'npm' : kind})`;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()) : [];
}
