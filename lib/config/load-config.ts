import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ErrorObject } from 'ajv';
import JSON5 from 'json5';
import { GatewayError } from '../errors.js';
import { redactPatternIssues } from '../logging/log-redactor.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import { configErrors } from './config-validators.js';
import type { EnvMap } from './paths.js';

export interface ConfigIssue {
  /** Dotted key path, e.g. `gateway.auth.mode`; `(root)` for the document itself. */
  path: string;
  message: string;
}

export type ConfigValidation = { ok: true; config: OpenClawConfig } | { ok: false; issues: ConfigIssue[] };

export interface LoadConfigOptions {
  path: string;
  /** Used for `${VAR}` substitution and to decide which `env` block entries are missing. */
  env: EnvMap;
}

export interface LoadedConfig {
  path: string;
  exists: boolean;
  /** The file text as read; `""` when the file is missing. */
  raw: string;
  /** The file as parsed, before `${VAR}` substitution. */
  parsed: unknown;
  /** Substituted and validated. */
  config: OpenClawConfig;
  /** sha256 hex of `raw`; `""` when the file is missing. */
  hash: string;
  /** Entries of the file's `env` block that the given env lacks; the caller decides where to apply them. */
  envAdditions: Record<string, string>;
}

/** The message names this many issues; `details.issues` carries up to MAX_ISSUES. */
const MAX_LISTED_ISSUES = 20;
const MAX_ISSUES = 200;

/**
 * Validates a config object against schema/config.schema.json (compiled at build time by
 * `npm run protocol:gen`; each section's part is loaded the first time a config has it).
 */
export async function validateConfig(value: unknown): Promise<ConfigValidation> {
  const errors = await configErrors(value);
  if (errors.length) return { ok: false, issues: toIssues(errors) };
  // What the schema cannot say: each redact pattern must compile.
  const issues = redactPatternIssues((value as OpenClawConfig).logging);
  return issues.length ? { ok: false, issues } : { ok: true, config: value as OpenClawConfig };
}

/**
 * Reads, substitutes and validates the config file. A missing file is an empty config; anything
 * else that is wrong with it throws CONFIG_INVALID naming every bad key, so the gateway stays down.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const { path, env } = options;
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { path, exists: false, raw: '', parsed: {}, config: {}, hash: '', envAdditions: {} };
    }
    throw err;
  }
  const parsed = parseConfigText(raw, path);
  const { config, envAdditions } = await evaluateConfig(parsed, path, env);
  const hash = createHash('sha256').update(raw).digest('hex');
  return { path, exists: true, raw, parsed, config, hash, envAdditions };
}

/**
 * Applies the file's `env` block and `${VAR}` substitution to a parsed config, then validates it.
 * Throws CONFIG_INVALID naming every bad key (`details.issues`); `path` only labels the messages.
 */
export async function evaluateConfig(parsed: unknown, path: string, env: EnvMap): Promise<{ config: OpenClawConfig; envAdditions: Record<string, string> }> {
  const envAdditions = missingEnv(parsed, env);
  const substituted = substituteEnv(parsed, { ...env, ...envAdditions }, path);
  const result = await validateConfig(substituted);
  if (!result.ok) {
    const shown = result.issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `${issue.path}: ${issue.message}`);
    const hidden = result.issues.length - shown.length;
    const list = shown.join('; ') + (hidden > 0 ? `; and ${hidden} more` : '');
    throw new GatewayError('CONFIG_INVALID', `invalid config ${path}: ${list}`, {
      details: { path, issues: result.issues },
    });
  }
  return { config: result.config, envAdditions };
}

/** JSON5 parse whose syntax errors are CONFIG_INVALID with the line and column. */
export function parseConfigText(raw: string, path: string): unknown {
  try {
    return JSON5.parse(raw);
  } catch (err) {
    const { lineNumber, columnNumber, message } = err as SyntaxError & { lineNumber?: number; columnNumber?: number };
    const where = lineNumber === undefined ? '' : ` at line ${lineNumber}, column ${columnNumber}`;
    throw new GatewayError('CONFIG_INVALID', `invalid config ${path}: syntax error${where}: ${message}`, {
      details: { path, line: lineNumber, column: columnNumber },
      cause: err,
    });
  }
}

function missingEnv(parsed: unknown, env: EnvMap): Record<string, string> {
  const block = isObject(parsed) ? parsed.env : undefined;
  const additions: Record<string, string> = {};
  if (!isObject(block)) return additions;
  for (const [name, value] of Object.entries(block)) {
    if (typeof value === 'string' && (env[name] === undefined || env[name] === '')) additions[name] = value;
  }
  return additions;
}

// `$${VAR}` escapes a literal `${VAR}`; only upper-case names are variables, so `${lower}` stays text.
const REFERENCE = /\$\$\{([A-Z_][A-Z0-9_]*)\}|\$\{([A-Z_][A-Z0-9_]*)\}/g;

function substituteEnv(value: unknown, env: EnvMap, file: string, at: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, escaped: string | undefined, name: string | undefined) => {
      if (escaped !== undefined) return `\${${escaped}}`;
      const found = env[name as string];
      if (found === undefined || found === '') {
        const key = at.length ? at.join('.') : '(root)';
        throw new GatewayError('CONFIG_INVALID', `invalid config ${file}: ${key}: environment variable ${name} is not set`, {
          details: { path: file, issues: [{ path: key, message: `environment variable ${name} is not set` }] },
        });
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, file, [...at, String(i)]));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteEnv(item, env, file, [...at, key]);
    return out;
  }
  return value;
}

function toIssues(errors: ErrorObject[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    const segments = err.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = err.message ?? 'is invalid';
    if (err.keyword === 'additionalProperties') {
      segments.push((err.params as { additionalProperty: string }).additionalProperty);
      message = 'unknown key';
    } else if (err.keyword === 'required') {
      segments.push((err.params as { missingProperty: string }).missingProperty);
      message = 'is required';
    } else if (err.keyword === 'enum') {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const issue = { path: segments.length ? segments.join('.') : '(root)', message };
    const id = `${issue.path}\0${issue.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push(issue);
      if (issues.length >= MAX_ISSUES) break;
    }
  }
  // AJV reports in schema order; sorting by key path gives the same message for the same file.
  return issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
