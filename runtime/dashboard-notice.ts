import { controlUiDashboardUrl } from '../control-ui/control-ui-paths.js';
import type { Prepared } from './prepare-launch.js';

/**
 * The lines printed (never logged) once the gateway listens on `port`: the Control UI link, none
 * when the UI is off. The token rides in the link only on the start that generated it, right
 * after printing it anyway; on every other start it stays out, because start-up output ends up in
 * journals, CI logs and terminal scrollback.
 */
export function dashboardNotice(prepared: Prepared, port: number): string[] {
  const controlUi = prepared.config.gateway?.controlUi;
  if (controlUi?.enabled === false) return [];
  const token = prepared.generatedToken;
  const link = `Dashboard: ${controlUiDashboardUrl({ host: prepared.hosts[0]!, port, basePath: controlUi?.basePath, token })}`;
  if (token || prepared.auth.mode !== 'token') return [link];
  return [link, '  It asks for the gateway token; add #token=<token> to the link to sign in directly.'];
}
