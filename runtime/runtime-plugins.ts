import { a2uiRuntimePlugin } from './a2ui-runtime-plugin.js';
import { agentsRuntimePlugin } from './agents-runtime-plugin.js';
import { browserRuntimePlugin } from './browser-runtime-plugin.js';
import { canvasHostRuntimePlugin } from './canvas-host-runtime-plugin.js';
import { channelsRuntimePlugin, type ChannelsRuntimePluginOptions } from './channels-runtime-plugin.js';
import { clusterRuntimePlugin } from './cluster-runtime-plugin.js';
import { controlUiRuntimePlugin, type ControlUiRuntimePluginOptions } from './control-ui-runtime-plugin.js';
import { cronRuntimePlugin } from './cron-runtime-plugin.js';
import { discoveryRuntimePlugin } from './discovery-runtime-plugin.js';
import { execApprovalsRuntimePlugin } from './exec-approvals-runtime-plugin.js';
import { heartbeatRuntimePlugin } from './heartbeat-runtime-plugin.js';
import { probesRuntimePlugin } from './probes-runtime-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';
import { skillsRuntimePlugin } from './skills-runtime-plugin.js';
import { systemInfoRuntimePlugin } from './system-info-runtime-plugin.js';
import { updateRuntimePlugin } from './update-runtime-plugin.js';
import { voiceRuntimePlugin } from './voice-runtime-plugin.js';
import { wizardRuntimePlugin } from './wizard-runtime-plugin.js';

export interface RuntimePluginsOptions {
  channels?: ChannelsRuntimePluginOptions;
  controlUi?: ControlUiRuntimePluginOptions;
}

/** The features `openclaw gateway` assembles, in HTTP routing order (docs/protocol.md, HTTP surface). */
export function runtimePlugins(options: RuntimePluginsOptions = {}): RuntimePlugin[] {
  // The cluster connects first (the others' state lives in it) and so stops last.
  const cluster = clusterRuntimePlugin();
  // The Control UI serves the SPA at its base path, so it stays last.
  return [
    cluster,
    probesRuntimePlugin(),
    systemInfoRuntimePlugin(),
    agentsRuntimePlugin({ cluster: () => cluster.current() }),
    heartbeatRuntimePlugin({ cluster: () => cluster.current() }),
    cronRuntimePlugin({ cluster: () => cluster.current() }),
    canvasHostRuntimePlugin(),
    channelsRuntimePlugin({ cluster: () => cluster.current(), ...options.channels }),
    execApprovalsRuntimePlugin(),
    browserRuntimePlugin(),
    voiceRuntimePlugin(),
    skillsRuntimePlugin(),
    wizardRuntimePlugin(),
    updateRuntimePlugin(),
    discoveryRuntimePlugin(),
    a2uiRuntimePlugin(),
    controlUiRuntimePlugin(options.controlUi),
  ];
}
