/** One file-log line as `openclaw logs` shows it. */
export interface ParsedLogLine {
  time?: string;
  level?: string;
  subsystem?: string;
  module?: string;
  message: string;
}

/**
 * Reads a tslog-shaped JSON line: time from `time` or `_meta.date`, lower-cased level, subsystem
 * and module from the JSON in `_meta.name`, message = the numeric keys joined by a space.
 * Returns undefined for anything that is not such a line (print those raw).
 */
export function parseLogLine(line: string): ParsedLogLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const meta = (typeof entry._meta === 'object' && entry._meta !== null ? entry._meta : {}) as Record<string, unknown>;
  const parts = Object.keys(entry)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => (typeof entry[key] === 'string' ? (entry[key] as string) : JSON.stringify(entry[key])));
  const parsed: ParsedLogLine = { message: parts.join(' ') };
  const time = typeof entry.time === 'string' ? entry.time : typeof meta.date === 'string' ? meta.date : undefined;
  if (time) parsed.time = time;
  if (typeof meta.logLevelName === 'string') parsed.level = meta.logLevelName.toLowerCase();
  const name = typeof meta.name === 'string' ? nameFields(meta.name) : {};
  if (name.subsystem) parsed.subsystem = name.subsystem;
  if (name.module) parsed.module = name.module;
  return parsed;
}

function nameFields(name: string): { subsystem?: string; module?: string } {
  try {
    const value = JSON.parse(name) as unknown;
    if (typeof value === 'object' && value !== null) {
      const { subsystem, module } = value as Record<string, unknown>;
      return {
        ...(typeof subsystem === 'string' ? { subsystem } : {}),
        ...(typeof module === 'string' ? { module } : {}),
      };
    }
  } catch {
    // A plain logger name rather than JSON bindings.
  }
  return { subsystem: name };
}
