import { agentsRuntimePlugin } from './agents-runtime-plugin.js';
import { canvasHostRuntimePlugin } from './canvas-host-runtime-plugin.js';
import { channelsRuntimePlugin, type ChannelsRuntimePluginOptions } from './channels-runtime-plugin.js';
import { controlUiRuntimePlugin, type ControlUiRuntimePluginOptions } from './control-ui-runtime-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface RuntimePluginsOptions {
  channels?: ChannelsRuntimePluginOptions;
  controlUi?: ControlUiRuntimePluginOptions;
}

/** The features `openclaw gateway` assembles, in HTTP routing order (docs/protocol.md, HTTP surface). */
export function runtimePlugins(options: RuntimePluginsOptions = {}): RuntimePlugin[] {
  // The Control UI serves the SPA at its base path, so it stays last.
  return [agentsRuntimePlugin(), canvasHostRuntimePlugin(), channelsRuntimePlugin(options.channels), controlUiRuntimePlugin(options.controlUi)];
}
