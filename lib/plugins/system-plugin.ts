import { invalidRequest } from '../errors.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import type { PresenceEntry, SystemEventParams } from '../protocol/generated/types.js';
import { presenceService, systemEventsService } from '../services.js';
import { SystemEventQueue } from '../system-event-queue.js';

const HEALTH_CACHE_MS = 60_000;

/**
 * `health`, `status`, `system-presence`, `system-event`, and the queue of
 * system events (`systemEventsService`) that status reports and hooks and restarts add to.
 */
export function systemPlugin(): GatewayPlugin {
  return { name: 'system', setup: setupSystem };
}

function setupSystem(gateway: GatewayHost): void {
  const presence = gateway.service(presenceService);
  const systemEvents = new SystemEventQueue();
  gateway.provide(systemEventsService, systemEvents);

  gateway.registerMethod('health', (params) => {
    const cached = gateway.currentHealth();
    if (!params.probe && gateway.clock.now() - cached.ts < HEALTH_CACHE_MS) return cached;
    // A probe answers its caller; everyone else gets the periodic broadcast, so probing cannot flood clients.
    return gateway.refreshHealth(false);
  });

  gateway.registerMethod('status', () => {
    const health = gateway.currentHealth();
    // The first channel that links a device (WhatsApp Web) is the one `linkChannel` reports.
    const linkId = health.channelOrder.find((id) => typeof health.channels[id]?.linked === 'boolean');
    const link = linkId ? health.channels[linkId] : undefined;
    return gateway.buildStatus({
      ...(link && linkId
        ? {
            linkChannel: {
              id: linkId,
              label: health.channelLabels[linkId] ?? linkId,
              linked: link.linked === true,
              authAgeMs: typeof link.authAgeMs === 'number' ? link.authAgeMs : null,
            },
          }
        : {}),
      heartbeat: {
        defaultAgentId: health.defaultAgentId,
        agents: health.agents.map((a) => ({
          agentId: a.agentId,
          enabled: a.heartbeat.enabled,
          every: a.heartbeat.everyMs === null ? null : `${Math.round(a.heartbeat.everyMs / 1000)}s`,
          everyMs: a.heartbeat.everyMs,
        })),
      },
      channelSummary: health.channelOrder.map((id) => {
        const ch = health.channels[id];
        const label = health.channelLabels[id] ?? id;
        if (ch?.linked === false) return `${label}: not linked`;
        if (!ch?.configured) return `${label}: not configured`;
        if (ch.connected) return `${label}: connected`;
        return `${label}: ${ch.running === false ? 'stopped' : 'not connected'}${ch.lastError ? ` (${ch.lastError})` : ''}`;
      }),
      queuedSystemEvents: systemEvents.list(),
      sessions: {
        paths: health.agents.map((a) => a.sessions.path).filter(Boolean),
        count: health.sessions.count,
        defaults: { model: null, modelProvider: null, contextTokens: null },
        recent: health.sessions.recent,
        byAgent: health.agents.map((a) => ({ agentId: a.agentId, ...a.sessions })),
      },
    });
  });

  gateway.registerMethod('system-presence', () => presence.list());

  gateway.registerMethod('system-event', (params, ctx) => {
    const text = typeof params.text === 'string' ? params.text.trim() : '';
    if (!text) throw invalidRequest('text required');
    const beacon = text.startsWith('Node:') ? parseNodeBeacon(text) : undefined;
    const fields = presenceFields(params, beacon);
    const key = params.deviceId ?? params.instanceId ?? fields.host ?? ctx.session?.connId;
    const previous = key ? presence.get(key) : undefined;
    // The store announces the change to every client (debounced by the kernel).
    if (key) presence.upsert(key, { ...fields, text });
    if (!beacon || changed(previous, fields)) systemEvents.enqueue(text);
    return { ok: true as const };
  });
}

type PresenceFields = Omit<PresenceEntry, 'ts' | 'text'>;

function presenceFields(params: SystemEventParams, beacon: PresenceFields | undefined): PresenceFields {
  const pick = <T>(v: unknown, ok: (x: unknown) => x is T): T | undefined => (ok(v) ? v : undefined);
  const str = (x: unknown): x is string => typeof x === 'string';
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  const strs = (x: unknown): x is string[] => Array.isArray(x) && x.every(str);
  const out: PresenceFields = {
    ...beacon,
    deviceId: pick(params.deviceId, str),
    instanceId: pick(params.instanceId, str),
    host: pick(params.host, str) ?? beacon?.host,
    ip: pick(params.ip, str) ?? beacon?.ip,
    mode: pick(params.mode, str) ?? beacon?.mode,
    version: pick(params.version, str) ?? beacon?.version,
    platform: pick(params.platform, str),
    deviceFamily: pick(params.deviceFamily, str),
    modelIdentifier: pick(params.modelIdentifier, str),
    // Whole seconds: protocol 4 declares an integer, and nobody reads idle time more finely.
    lastInputSeconds: wholeSeconds(pick(params.lastInputSeconds, num) ?? beacon?.lastInputSeconds),
    reason: pick(params.reason, str) ?? beacon?.reason,
    roles: pick(params.roles, strs),
    scopes: pick(params.scopes, strs),
    tags: pick(params.tags, strs),
  };
  for (const k of Object.keys(out) as (keyof PresenceFields)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** `Node: <host> (<ip>) · app <ver> · last input <n>s ago · mode <m> · reason <r>` */
export function parseNodeBeacon(text: string): PresenceFields {
  const body = text.slice('Node:'.length).trim();
  const [head = '', ...parts] = body.split('·').map((p) => p.trim());
  const out: PresenceFields = {};
  const headMatch = /^(.*?)\s*(?:\(([^)]*)\))?$/.exec(head);
  if (headMatch?.[1]) out.host = headMatch[1];
  if (headMatch?.[2]) out.ip = headMatch[2];
  for (const part of parts) {
    let m: RegExpExecArray | null;
    if ((m = /^app\s+(.+)$/.exec(part))) out.version = m[1];
    else if ((m = /^last input\s+(\d+(?:\.\d+)?)s ago$/.exec(part))) out.lastInputSeconds = Number(m[1]);
    else if ((m = /^mode\s+(.+)$/.exec(part))) out.mode = m[1];
    else if ((m = /^reason\s+(.+)$/.exec(part))) out.reason = m[1];
  }
  return out;
}

/** A beacon repeats every few seconds; only a change of who/where/what is worth a system event. */
function changed(previous: PresenceEntry | undefined, next: PresenceFields): boolean {
  if (!previous) return true;
  return (['host', 'ip', 'version', 'mode', 'reason'] as const).some((k) => previous[k] !== next[k]);
}

function wholeSeconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.max(0, Math.round(value));
}
