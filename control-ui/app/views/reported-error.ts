import type { ControlSession } from '../control-session.js';
import { errorMessage, h } from '../dom.js';

/**
 * A failed call shown where it happened: `sessions.patch failed (INVALID_REQUEST): …` (method, the
 * gateway's code when it gave one, message). It also goes to the session's error list, so
 * Overview's Last errors keeps it after the view moves on.
 */
export function reportedError(session: ControlSession, method: string, err: unknown): HTMLElement {
  session.reportError(method, err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed${code ? ` (${code})` : ''}: ${errorMessage(err)}`);
}
