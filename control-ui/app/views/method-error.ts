import { h } from '../dom.js';

/**
 * `cron.add failed (INVALID_REQUEST): schedule.expr …`: which call failed, its error code when the
 * gateway gave one, and the message, so an error reads the same wherever a view shows it.
 */
export function methodErrorText(method: string, err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return `${method} failed${code ? ` (${code})` : ''}: ${message}`;
}

/** The error in place: an alert next to the control or table whose call failed. */
export function methodErrorNote(method: string, err: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert', 'data-method': method }, methodErrorText(method, err));
}
