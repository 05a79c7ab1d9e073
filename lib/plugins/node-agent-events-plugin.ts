import { randomUUID } from 'node:crypto';
import type { NodeEvent } from '../nodes/node-registry.js';
import type { GatewayPlugin, MethodParams } from '../plugin.js';
import { nodesService } from '../services.js';

/** Longest message a node may start a run with (upstream's limit). */
export const MAX_NODE_MESSAGE_CHARS = 20_000;

/**
 * Agent turns a node asks for with `node.event` (docs/protocol.md, Nodes): `voice.transcript`
 * (`{text, sessionKey?}`: what was said, as a turn in the main session) and `agent.request` (a
 * deep link or an A2UI click: `{message, sessionKey?, thinking?, deliver?, channel?, to?,
 * timeoutSeconds?, key?}`, in `node-<nodeId>` unless it names a session). The runs are the
 * `agent` method's, so their events reach every client; a failure is logged, the node already
 * has its `{ok:true}`. Needs the agents plugin, and the nodes plugin for there to be node events.
 */
export function nodeAgentEventsPlugin(): GatewayPlugin {
  let off: (() => void) | undefined;
  return {
    name: 'node-agent-events',
    setup(gateway) {
      // A gateway built without nodes has no node events to act on.
      off = gateway.optionalService(nodesService)?.onEvent((event) => {
        const params = agentParams(event);
        if (!params || !gateway.hasMethod('agent')) return;
        gateway.call('agent', params).catch((err: unknown) => gateway.logger.log('warn', 'gateway/nodes', `agent run for ${event.event} from node ${event.nodeId} failed: ${(err as Error).message}`));
      });
    },
    stop() {
      off?.();
      off = undefined;
    },
  };
}

/** The `agent` params a node event asks for, or undefined when it asks for none (or is malformed). */
export function agentParams(event: NodeEvent): MethodParams<'agent'> | undefined {
  const payload = event.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  const text = (key: string) => (typeof p[key] === 'string' ? (p[key] as string).trim() : '');
  if (event.event === 'voice.transcript') {
    const message = text('text');
    if (!message || message.length > MAX_NODE_MESSAGE_CHARS) return undefined;
    return { message, sessionKey: text('sessionKey') || 'main', thinking: 'low', deliver: false, idempotencyKey: `voice-${randomUUID()}` };
  }
  if (event.event !== 'agent.request') return undefined;
  const message = text('message');
  if (!message || message.length > MAX_NODE_MESSAGE_CHARS) return undefined;
  const channel = text('channel');
  const timeout = typeof p.timeoutSeconds === 'number' && Number.isInteger(p.timeoutSeconds) && p.timeoutSeconds >= 0 ? p.timeoutSeconds : undefined;
  return {
    message,
    sessionKey: text('sessionKey') || `node-${event.nodeId}`,
    // Scoped to the node: its key cannot collide with another run's id.
    idempotencyKey: `node-${event.nodeId}:${text('key') || randomUUID()}`,
    // Delivery needs somewhere to go: a channel named with the request.
    deliver: p.deliver === true && channel !== '',
    ...(channel ? { channel } : {}),
    ...(text('to') ? { to: text('to') } : {}),
    ...(text('thinking') ? { thinking: text('thinking') } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}
