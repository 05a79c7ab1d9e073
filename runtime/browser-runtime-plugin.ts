import { browserPlugin } from '../lib/plugins/browser-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** `browser.request`, routed to a node as `gateway.nodes.browser` says. */
export function browserRuntimePlugin(): RuntimePlugin {
  return {
    name: 'browser',
    gatewayPlugins: ({ config }) => [browserPlugin(config.gateway?.nodes?.browser ?? {})],
  };
}
