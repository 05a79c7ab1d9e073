/** What `{{…}}` placeholders in `hooks.mappings` templates read from: one hook request. */
export interface HookTemplateContext {
  /** The JSON body. */
  payload: Record<string, unknown>;
  /** Request headers, names lower-case. */
  headers: Record<string, string>;
  /** Query parameters (first value of each). */
  query: Record<string, string>;
  /** The path under `hooks.path`, without slashes at either end (`github`, `ingest/v2`). */
  path: string;
  /** ISO time of the request. */
  now?: string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^([^.[\]]+)|\.([^.[\]]+)|\[(\d+)\]|\[["']([^"'\]]+)["']\]/y;

/**
 * Fills `{{expr}}` placeholders. `expr` is a path of `.key`, `[n]` and `["key"]` steps starting
 * at `payload`, `headers`, `query`, `path` or `now`; any other first step reads the payload, so
 * `{{messages[0].subject}}` and `{{payload.messages[0].subject}}` are the same. Missing values
 * render as nothing, objects as JSON. Only lookups: nothing in a template is evaluated.
 */
export function renderHookTemplate(template: string, context: HookTemplateContext): string {
  return template.replace(PLACEHOLDER, (_, expr: string) => {
    const steps = parsePath(expr);
    if (!steps) return '';
    const value = lookup(context, steps);
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

function parsePath(expr: string): string[] | undefined {
  const steps: string[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < expr.length) {
    const at = SEGMENT.lastIndex;
    const m = SEGMENT.exec(expr);
    if (!m || (steps.length === 0 && m[1] === undefined) || (steps.length > 0 && m[1] !== undefined)) return undefined;
    steps.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    if (SEGMENT.lastIndex === at) return undefined;
  }
  return steps.length ? steps : undefined;
}

function lookup(context: HookTemplateContext, steps: string[]): unknown {
  const [head, ...rest] = steps;
  let value: unknown;
  let path = rest;
  if (head === 'payload' || head === 'headers' || head === 'query' || head === 'path' || head === 'now') value = context[head];
  else {
    value = context.payload;
    path = steps;
  }
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    // Own properties only: a template must not reach `constructor` or `__proto__`.
    if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
