import { GatewayError } from '../errors.js';

/** `logging.redactSensitive` and `logging.redactPatterns`. */
export interface LogRedactionConfig {
  /** `tools` (the default) masks what the patterns match in every log line; `off` masks nothing. */
  redactSensitive?: 'off' | 'tools';
  /** Regular expressions (source text, or `/source/flags`) that replace the default list. */
  redactPatterns?: string[];
}

/**
 * What is masked when `logging.redactPatterns` is unset: credential shapes that end up in tool
 * output and request logs. Where a pattern has a group, only the group is masked.
 */
export const DEFAULT_REDACT_PATTERNS: readonly string[] = [
  String.raw`\b(sk-[A-Za-z0-9_-]{16,})`,
  String.raw`\b(gh[pousr]_[A-Za-z0-9]{20,})`,
  String.raw`\b(github_pat_[A-Za-z0-9_]{20,})`,
  String.raw`\b(xox[abprs]-[A-Za-z0-9-]{10,})`,
  String.raw`\b(AKIA[0-9A-Z]{16})\b`,
  String.raw`\b(AIza[0-9A-Za-z_-]{35})`,
  String.raw`\b(\d{6,}:[A-Za-z0-9_-]{30,})`,
  String.raw`/\bBearer\s+([A-Za-z0-9._~+\/=-]{16,})/i`,
  String.raw`/\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret|password|passwd)\b["']?\s*[:=]\s*["']?([^\s"',;]{8,})/i`,
  String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`,
];

/** A log-redaction function; the identity when redaction is off. */
export type LogRedactor = (text: string) => string;

/** One unusable `logging.redactPatterns` entry, for config validation. */
export interface RedactPatternIssue {
  path: string;
  message: string;
}

/** The entries of `logging.redactPatterns` that are not valid regular expressions. */
export function redactPatternIssues(logging: LogRedactionConfig | undefined): RedactPatternIssue[] {
  const issues: RedactPatternIssue[] = [];
  for (const [i, pattern] of (logging?.redactPatterns ?? []).entries()) {
    try {
      compilePattern(pattern);
    } catch (err) {
      issues.push({ path: `logging.redactPatterns.${i}`, message: `${JSON.stringify(pattern)} is not a valid regular expression: ${(err as Error).message}` });
    }
  }
  return issues;
}

/** Builds the redactor of a `logging` config. Throws CONFIG_INVALID naming the first bad pattern. */
export function createLogRedactor(logging: LogRedactionConfig | undefined): LogRedactor {
  if (logging?.redactSensitive === 'off') return (text) => text;
  const issue = redactPatternIssues(logging)[0];
  if (issue) throw new GatewayError('CONFIG_INVALID', `${issue.path}: ${issue.message}`);
  const patterns = (logging?.redactPatterns ?? DEFAULT_REDACT_PATTERNS).map(compilePattern);
  if (patterns.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const pattern of patterns) out = out.replace(pattern, maskMatch);
    return out;
  };
}

/** `/source/flags` or plain source text; always global, so every occurrence is masked. */
function compilePattern(pattern: string): RegExp {
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  const source = literal ? literal[1]! : pattern;
  const flags = literal ? literal[2]! : '';
  if (!source) throw new Error('empty pattern');
  const regex = new RegExp(source, flags.includes('g') ? flags : `${flags}g`);
  // A pattern matching the empty string would make every line a run of masks.
  if (regex.test('')) throw new Error('it matches the empty string');
  regex.lastIndex = 0;
  return regex;
}

function maskMatch(match: string, ...rest: unknown[]): string {
  const group = rest[0];
  if (typeof group !== 'string' || group === '' || !match.includes(group)) return mask(match);
  const at = match.indexOf(group);
  return match.slice(0, at) + mask(group) + match.slice(at + group.length);
}

/** Long values keep their first 6 and last 4 characters so log readers can tell keys apart. */
function mask(value: string): string {
  return value.length >= 18 ? `${value.slice(0, 6)}…${value.slice(-4)}` : '***';
}
