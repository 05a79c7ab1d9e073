import { GatewayError } from '../errors.js';
import type { ConnectedNode, NodeRegistry } from '../nodes/node-registry.js';
import type { GatewayPlugin } from '../plugin.js';
import type { BrowserRequestResult } from '../protocol/generated/types.js';
import { nodesService } from '../services.js';

/** The node command that runs a browser-control request on the node's own browser. */
export const BROWSER_PROXY_COMMAND = 'browser.proxy';

/** What browser control waits for when the request names no `timeoutMs`. */
const DEFAULT_BROWSER_TIMEOUT_MS = 20_000;
/** The node gets the request's own timeout; the invoke around it this much longer to carry the answer back. */
const RELAY_MARGIN_MS = 5_000;

/** `gateway.nodes.browser` as upstream's config spells it. */
export interface BrowserPluginOptions {
  /**
   * `auto` (default): the one connected node that offers browser control (or `node` when set);
   * `manual`: only `node`; `off`: never route to a node.
   */
  mode?: 'auto' | 'manual' | 'off';
  /** The node to use: its id or display name. */
  node?: string;
}

/**
 * `browser.request` (docs/protocol.md, Browser): this gateway has no browser of its own, so the
 * request goes to a connected node that advertises `browser.proxy`, and the node's answer comes
 * back. With no such node the call fails with UNAVAILABLE saying so. Needs `nodesPlugin` before it.
 */
export function browserPlugin(options: BrowserPluginOptions = {}): GatewayPlugin {
  return {
    name: 'browser',
    setup(gateway) {
      const nodes = gateway.service(nodesService);
      gateway.registerMethod('browser.request', async ({ method, path, query, body, timeoutMs }) => {
        const node = pickBrowserNode(nodes, options);
        const wait = timeoutMs ?? DEFAULT_BROWSER_TIMEOUT_MS;
        const params = { method, path, ...(query === undefined ? {} : { query }), ...(body === undefined ? {} : { body }), timeoutMs: wait };
        const { payload } = await nodes.invoke({ nodeId: node.nodeId, command: BROWSER_PROXY_COMMAND, params, timeoutMs: wait + RELAY_MARGIN_MS });
        return unwrap(payload);
      });
    },
  };
}

/** The node `browser.request` goes to, or UNAVAILABLE naming why there is none. */
export function pickBrowserNode(nodes: NodeRegistry, options: BrowserPluginOptions): ConnectedNode {
  const mode = options.mode ?? 'auto';
  if (mode === 'off') throw unavailable('browser control through nodes is off (gateway.nodes.browser.mode is "off")');
  const offering = nodes.list().filter((n) => n.commands.includes(BROWSER_PROXY_COMMAND));
  const wanted = options.node?.trim();
  if (wanted) {
    const node = nodes.list().find((n) => n.nodeId === wanted || n.displayName === wanted);
    if (!node) throw unavailable(`browser node "${wanted}" (gateway.nodes.browser.node) is not connected`);
    if (!offering.includes(node)) throw unavailable(`browser node "${wanted}" does not offer browser control (${BROWSER_PROXY_COMMAND})`);
    return node;
  }
  if (mode === 'manual') throw unavailable('gateway.nodes.browser.mode is "manual" but gateway.nodes.browser.node is not set');
  if (offering.length === 1) return offering[0]!;
  if (offering.length === 0) throw unavailable(`no connected node offers browser control (${BROWSER_PROXY_COMMAND})`);
  const names = offering.map((n) => n.displayName ?? n.nodeId).join(', ');
  throw unavailable(`several nodes offer browser control (${names}); choose one with gateway.nodes.browser.node`);
}

/** A node host answers `browser.proxy` with `{ result }`: the browser control server's reply. */
function unwrap(payload: unknown): BrowserRequestResult {
  if (typeof payload === 'object' && payload !== null && 'result' in payload) return (payload as { result: BrowserRequestResult }).result;
  return payload as BrowserRequestResult;
}

function unavailable(message: string): GatewayError {
  return new GatewayError('UNAVAILABLE', message);
}
