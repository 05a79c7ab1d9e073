import { agentRuntimePlugin } from './agent-plugin.js';
import { canvasHostPlugin } from './canvas-host-plugin.js';
import { channelsPlugin } from './channels-plugin.js';
import { controlUiPlugin } from './control-ui-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** Features assembled by `openclaw gateway`, in HTTP routing order (protocol §8). */
export function runtimePlugins(): RuntimePlugin[] {
  // The Control UI serves the SPA at its base path, so it stays last.
  return [agentRuntimePlugin(), canvasHostPlugin(), channelsPlugin(), controlUiPlugin()];
}
