import type { ControlSession } from '../control-session.js';

/**
 * Whether this connection was granted `scope` (hello-ok.auth.scopes; operator.admin implies every
 * operator scope). Views hide the actions a connection could only get refused for.
 */
export function hasScope(session: ControlSession, scope: 'operator.read' | 'operator.write' | 'operator.admin'): boolean {
  const scopes = session.hello?.auth?.scopes ?? [];
  return scopes.includes('operator.admin') || scopes.includes(scope);
}
