import type { GatewayPlugin } from './plugin.js';
import { devicesPlugin } from './plugins/devices-plugin.js';
import { nodePairingPlugin } from './plugins/node-pairing-plugin.js';
import { nodesPlugin, type NodesPluginOptions } from './plugins/nodes-plugin.js';
import { environmentsPlugin } from './plugins/environments-plugin.js';
import { systemPlugin } from './plugins/system-plugin.js';
import type { Storage } from './storage.js';

export interface CorePluginsOptions {
  /** Where node pairings are kept; the gateway's own storage by default. */
  storage: Storage;
  nodes?: NodesPluginOptions['commands'];
}

/** What every gateway serves: system, devices, node pairing, nodes and the environments they are, in that order. */
export function corePlugins(options: CorePluginsOptions): GatewayPlugin[] {
  return [systemPlugin(), devicesPlugin(), nodePairingPlugin({ storage: options.storage }), nodesPlugin({ commands: options.nodes }), environmentsPlugin()];
}
