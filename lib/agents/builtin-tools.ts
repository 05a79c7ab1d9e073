import { randomUUID } from 'node:crypto';
import type { GatewayHost } from '../plugin.js';
import type { SessionStore } from '../sessions/session-store.js';
import { sessionKind } from '../sessions/session-keys.js';
import { toolFailure, type Tool, type ToolResult } from './tool-registry.js';

export interface BuiltinToolsDeps {
  gateway: GatewayHost;
  sessions: SessionStore;
}

/** `sessions_list`, `nodes`, `message`: the tools every gateway offers its agents. */
export function builtinTools(deps: BuiltinToolsDeps): Tool[] {
  return [createSessionsListTool(deps.sessions, deps.gateway), createNodesTool(deps.gateway), createMessageTool(deps.gateway)];
}

function json(details: unknown): ToolResult {
  return { text: JSON.stringify(details), details };
}

/** Lists the calling agent's sessions, newest first. */
export function createSessionsListTool(sessions: SessionStore, gateway: Pick<GatewayHost, 'clock'>): Tool {
  return {
    name: 'sessions_list',
    description: 'List this agent\'s conversation sessions (newest first) with their keys, kinds and last activity.',
    parameters: {
      type: 'object',
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 200, description: 'At most this many sessions (default 50).' },
        activeMinutes: { type: 'integer', minimum: 1, description: 'Only sessions active within this many minutes.' },
        kinds: { type: 'array', items: { type: 'string', enum: ['direct', 'group', 'global', 'unknown'] }, description: 'Only these kinds.' },
      },
      additionalProperties: false,
    },
    async execute(args, ctx) {
      await sessions.load(ctx.agentId);
      const now = gateway.clock.now();
      const limit = typeof args.limit === 'number' ? args.limit : 50;
      const kinds = Array.isArray(args.kinds) ? (args.kinds as string[]) : undefined;
      const active = typeof args.activeMinutes === 'number' ? args.activeMinutes * 60_000 : undefined;
      const rows = sessions
        .entries(ctx.agentId)
        .filter(({ key, entry }) => (!kinds || kinds.includes(sessionKind(key))) && (active === undefined || now - entry.updatedAt <= active))
        .slice(0, limit)
        .map(({ key, entry }) => ({
          key,
          kind: sessionKind(key),
          sessionId: entry.sessionId,
          updatedAt: entry.updatedAt,
          ...(entry.label ? { label: entry.label } : {}),
          ...(entry.model ? { model: entry.model } : {}),
          ...(entry.totalTokens === undefined ? {} : { totalTokens: entry.totalTokens }),
        }));
      return json({ count: rows.length, sessions: rows });
    },
  };
}

/** Calls a gateway method that another feature may not have registered, failing with `missing`. */
async function callOptional(gateway: GatewayHost, method: string, params: unknown, missing: string): Promise<unknown> {
  if (!gateway.hasMethod(method)) throw toolFailure(missing, { reason: 'method_unavailable', method });
  // The method is chosen at run time and its params come from the model: `call` validates them.
  const call = gateway.call as unknown as (m: string, p: unknown) => Promise<unknown>;
  return call(method, params);
}

const NO_NODES = 'node commands are unavailable: this gateway has no node.invoke method (node support is not enabled)';

/** Runs a command on a paired node (camera, screen, shell, ...) through `node.invoke`. */
export function createNodesTool(gateway: GatewayHost): Tool {
  return {
    name: 'nodes',
    description: 'Work with paired nodes (companion devices). action "list" lists them, "describe" shows one, "invoke" runs a command the node declares.',
    parameters: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: ['list', 'describe', 'invoke'] },
        node: { type: 'string', minLength: 1, description: 'Node id (describe, invoke).' },
        command: { type: 'string', minLength: 1, description: 'Command to invoke, e.g. "system.run".' },
        params: { type: 'object', description: 'Command parameters.' },
        timeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
      },
      required: ['action'],
      additionalProperties: false,
    },
    async execute(args, ctx) {
      switch (args.action) {
        case 'list':
          return json(await callOptional(gateway, 'node.list', {}, NO_NODES.replace('node.invoke', 'node.list')));
        case 'describe':
          if (typeof args.node !== 'string') throw toolFailure('describe needs "node"');
          return json(await callOptional(gateway, 'node.describe', { nodeId: args.node }, NO_NODES.replace('node.invoke', 'node.describe')));
        default: {
          if (typeof args.node !== 'string' || typeof args.command !== 'string') throw toolFailure('invoke needs "node" and "command"');
          const params: Record<string, unknown> = { nodeId: args.node, command: args.command, idempotencyKey: randomUUID() };
          // The run is judged by this agent's exec approvals, whatever agent the model names.
          if (args.params !== undefined || args.command === 'system.run') params.params = { ...(isPlainObject(args.params) ? args.params : {}), ...(args.command === 'system.run' ? { agentId: ctx.agentId } : {}) };
          if (typeof args.timeoutMs === 'number') params.timeoutMs = args.timeoutMs;
          return json(await callOptional(gateway, 'node.invoke', params, NO_NODES));
        }
      }
    },
  };
}

/** Sends a message through a messaging channel with the gateway's `send` method. */
export function createMessageTool(gateway: GatewayHost): Tool {
  return {
    name: 'message',
    description: 'Send a message to someone through a messaging channel (WhatsApp, Telegram, ...). action "send" needs "to" and "message".',
    parameters: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: ['send'] },
        to: { type: 'string', minLength: 1, description: 'Recipient (phone number in E.164, chat id, ...).' },
        message: { type: 'string', minLength: 1 },
        channel: { type: 'string', description: 'Channel id, e.g. "whatsapp" or "telegram".' },
        accountId: { type: 'string' },
        mediaUrl: { type: 'string' },
      },
      required: ['to', 'message'],
      additionalProperties: false,
    },
    async execute(args, ctx) {
      const params: Record<string, unknown> = { to: args.to, message: args.message, idempotencyKey: randomUUID() };
      const channel = args.channel ?? ctx.messageChannel;
      const accountId = args.accountId ?? ctx.accountId;
      if (channel !== undefined) params.channel = channel;
      if (accountId !== undefined) params.accountId = accountId;
      if (args.mediaUrl !== undefined) {
        // Tool arguments come from the model or a remote /tools/invoke caller: a path would let
        // either upload any file of the gateway host, which `send` allows only to local clients.
        if (typeof args.mediaUrl !== 'string' || !/^https?:\/\//i.test(args.mediaUrl)) throw toolFailure('mediaUrl must be an http(s) URL; local files cannot be sent from a tool');
        params.mediaUrl = args.mediaUrl;
      }
      const missing = 'sending messages is unavailable: this gateway has no send method (no messaging channel is configured)';
      return json(await callOptional(gateway, 'send', params, missing));
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
