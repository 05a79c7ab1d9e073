import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { channelsPlugin } from '../../../lib/plugins/channels-plugin.js';
import { heartbeatPlugin, type HeartbeatPluginOptions } from '../../../lib/plugins/heartbeat-plugin.js';
import type { WsPeer } from '../../bin/helpers.js';
import { agentGatewayPerTest, type AgentGateway } from '../../helpers/agent-gateway.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { FakeChannel } from '../channels/fake-channel.js';

const gateways = agentGatewayPerTest();
const MINUTE = 60_000;
const HOOK_TOKEN = 'hook-secret-0123456789';

interface Setup {
  h: AgentGateway;
  peer: WsPeer;
  clock: ManualClock;
  channel: FakeChannel;
}

/** A gateway with heartbeats over a ManualClock and a fake messaging channel (`fake`) to deliver to. */
async function start(heartbeat: HeartbeatPluginOptions, clockStart?: number): Promise<Setup> {
  const clock = new ManualClock(clockStart);
  const channel = new FakeChannel();
  const h = await gateways.start({
    clock,
    hooks: { token: HOOK_TOKEN },
    plugins: () => [
      channelsPlugin({ definitions: [{ id: 'fake', label: 'Fake', create: () => channel }], config: { fake: { dmPolicy: 'open' } }, runAgent: async () => [] }),
      heartbeatPlugin(heartbeat),
    ],
  });
  return { h, peer: await h.connect(), clock, channel };
}

async function call(s: Setup, method: string, params: unknown = {}): Promise<any> {
  const res = await s.h.request(s.peer, method, params);
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.payload;
}

/** The next `heartbeat` event after the `count` already seen. */
function nextHeartbeat(s: Setup, count = 0): Promise<any> {
  let seen = 0;
  return s.peer.next((f) => f.type === 'event' && f.event === 'heartbeat' && ++seen > count, 10_000).then((f) => f.payload);
}

function lastUserText(s: Setup): string {
  const messages = s.h.model.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
  const user = messages.filter((m) => m.role === 'user').at(-1)!;
  return typeof user.content === 'string' ? user.content : JSON.stringify(user.content);
}

describe('heartbeats', () => {
  it('with a leadership (a cluster) runs on its interval only while leading, from the moment it leads', async () => {
    let leading = false;
    const listeners = new Set<(leading: boolean) => void>();
    const leadership = {
      get leading() {
        return leading;
      },
      onChange(listener: (leading: boolean) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const s = await start({ defaults: { every: '30m', target: 'fake', to: 'chat-9' }, leadership });
    s.h.model.script({ text: ['HEARTBEAT_OK'] });
    await s.clock.advance(90 * MINUTE);
    expect(s.h.model.requests).toHaveLength(0);
    leading = true;
    for (const listener of listeners) listener(true);
    const event = nextHeartbeat(s);
    await s.clock.advance(30 * MINUTE);
    expect(await event).toMatchObject({ status: 'ok-token' });
    leading = false;
    for (const listener of listeners) listener(false);
    await s.clock.advance(90 * MINUTE);
    expect(s.h.model.requests).toHaveLength(1);
  });

  it('runs a turn every interval; HEARTBEAT_OK is an acknowledgement that is not delivered; last-heartbeat returns it', async () => {
    const s = await start({ defaults: { every: '30m', target: 'fake', to: 'chat-9' } });
    expect(await call(s, 'last-heartbeat')).toBeNull();
    s.h.model.script({ text: ['HEARTBEAT_OK'] });

    await s.clock.advance(29 * MINUTE);
    expect(s.h.model.requests).toHaveLength(0);
    const event = nextHeartbeat(s);
    await s.clock.advance(MINUTE);
    const payload = await event;

    expect(payload).toMatchObject({ status: 'ok-token', agentId: 'main' });
    expect(lastUserText(s)).toContain('If nothing needs attention, reply HEARTBEAT_OK.');
    expect(s.channel.sent).toEqual([]);
    expect(await call(s, 'last-heartbeat')).toEqual(payload);
    // The next interval starts from this run.
    s.h.model.script({ text: ['**HEARTBEAT_OK**'] });
    const second = nextHeartbeat(s, 1);
    await s.clock.advance(30 * MINUTE);
    expect(await second).toMatchObject({ status: 'ok-token' });
    expect(s.h.model.requests).toHaveLength(2);
  });

  it('delivers a reply that is not an acknowledgement to the configured channel target', async () => {
    const s = await start({ defaults: { every: '10m', target: 'fake', to: 'chat-9' } });
    s.h.model.script({ text: ['Reminder: ', 'the build is red.'] });
    const event = nextHeartbeat(s);
    await s.clock.advance(10 * MINUTE);
    expect(await event).toMatchObject({ status: 'sent', channel: 'fake', to: 'chat-9', preview: 'Reminder: the build is red.' });
    expect(s.channel.sent.map((m) => [m.to, m.text])).toEqual([['chat-9', 'Reminder: the build is red.']]);
  });

  it('target "last" delivers where the main session last talked, and a long text around HEARTBEAT_OK is a message', async () => {
    const s = await start({ defaults: { every: '10m', ackMaxChars: 10 } });
    s.h.model.script({ text: ['hi'] });
    const id = s.h.send(s.peer, 'agent', { message: 'hello', idempotencyKey: 'run-1', sessionKey: 'main' });
    expect((await s.h.final(s.peer, id)).ok).toBe(true);
    // What a channel's inbound turn records (`agent` accepts only the known channel names, not this stand-in's).
    await s.h.service.sessions.update('main', 'agent:main:main', { channel: 'fake', lastTo: 'chat-7' });

    s.h.model.script({ text: ['HEARTBEAT_OK The deploy finished an hour ago.'] });
    const event = nextHeartbeat(s);
    await s.clock.advance(10 * MINUTE);
    expect(await event).toMatchObject({ status: 'sent', channel: 'fake', to: 'chat-7' });
    expect(s.channel.sent.map((m) => m.text)).toEqual(['The deploy finished an hour ago.']);
  });

  it('hands queued system events to the next heartbeat turn (wake next-heartbeat, system-event) and empties the queue', async () => {
    const s = await start({ defaults: { every: '30m', target: 'none' } });
    expect(await call(s, 'wake', { mode: 'next-heartbeat', text: 'Cron: backup done' })).toEqual({ ok: true });
    await call(s, 'system-event', { text: 'Disk is 91% full' });
    expect((await call(s, 'status')).queuedSystemEvents).toEqual(['Cron: backup done', 'Disk is 91% full']);
    expect(s.h.model.requests).toHaveLength(0);

    s.h.model.script({ text: ['HEARTBEAT_OK'] });
    const event = nextHeartbeat(s);
    await s.clock.advance(30 * MINUTE);
    await event;
    const prompt = lastUserText(s);
    expect(prompt).toContain('System: Cron: backup done\nSystem: Disk is 91% full');
    expect(prompt).toContain('HEARTBEAT_OK');
    expect((await call(s, 'status')).queuedSystemEvents).toEqual([]);
  });

  it('wake now runs a heartbeat at once; so does POST /hooks/wake', async () => {
    const s = await start({ defaults: { every: '1h', target: 'none' } });
    s.h.model.script({ text: ['HEARTBEAT_OK'] }, { text: ['HEARTBEAT_OK'] });
    const first = nextHeartbeat(s);
    expect(await call(s, 'wake', { mode: 'now', text: 'Check the mail' })).toEqual({ ok: true });
    expect(await first).toMatchObject({ status: 'ok-token' });
    expect(lastUserText(s)).toContain('System: Check the mail');

    const second = nextHeartbeat(s, 1);
    const res = await fetch(`${s.h.httpUrl}/hooks/wake`, {
      method: 'POST',
      headers: { authorization: `Bearer ${HOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'New mail from Ada', mode: 'now' }),
    });
    expect(await res.json()).toEqual({ ok: true, mode: 'now' });
    await second;
    expect(lastUserText(s)).toContain('System: New mail from Ada');
    expect(s.h.model.requests).toHaveLength(2);
  });

  it('skips heartbeats outside active hours and keeps the system events for later', async () => {
    // 2023-11-14T22:13:20Z: outside 08:00-20:00 UTC.
    const s = await start({ defaults: { every: '1h', target: 'none', activeHours: { start: '08:00', end: '20:00', timezone: 'UTC' } } }, Date.UTC(2023, 10, 14, 22, 13, 20));
    await call(s, 'wake', { mode: 'next-heartbeat', text: 'Quiet note' });
    const skipped = nextHeartbeat(s);
    await s.clock.advance(60 * MINUTE);
    expect(await skipped).toMatchObject({ status: 'skipped', reason: 'quiet-hours' });
    expect(s.h.model.requests).toHaveLength(0);

    s.h.model.script({ text: ['HEARTBEAT_OK'] });
    // The runs at 23:13 to 07:13 UTC are skipped (nine), the one at 08:13 runs.
    const ran = nextHeartbeat(s, 9);
    await s.clock.advance(10 * 60 * MINUTE);
    expect(await ran).toMatchObject({ status: 'ok-token' });
    expect(s.h.model.requests).toHaveLength(1);
    expect(lastUserText(s)).toContain('System: Quiet note');
  });

  it('set-heartbeats pauses and resumes the runner, and health reports the settings truthfully', async () => {
    const s = await start({ defaults: { every: '30m', target: 'none', prompt: 'Check HEARTBEAT.md' } });
    const health = await call(s, 'health');
    expect(health.heartbeatSeconds).toBe(1800);
    expect(health.agents[0].heartbeat).toEqual({ enabled: true, every: '30m', everyMs: 1_800_000, prompt: 'Check HEARTBEAT.md', target: 'none', ackMaxChars: 300 });
    expect(v4HealthProblems(health)).toEqual([]);

    expect(await call(s, 'set-heartbeats', { enabled: false })).toEqual({ ok: true, enabled: false });
    await s.clock.advance(90 * MINUTE);
    expect(s.h.model.requests).toHaveLength(0);
    const paused = await call(s, 'health');
    expect(paused.agents[0].heartbeat.enabled).toBe(false);
    expect(paused.heartbeatSeconds).toBe(0);
    const status = await call(s, 'status');
    expect(status.heartbeat.agents[0]).toMatchObject({ agentId: 'main', enabled: false });

    // A wake while paused still answers, and its run reports why nothing happened.
    const skipped = nextHeartbeat(s);
    await call(s, 'wake', { mode: 'now', text: 'ping' });
    expect(await skipped).toMatchObject({ status: 'skipped', reason: 'disabled' });

    expect(await call(s, 'set-heartbeats', { enabled: true })).toEqual({ ok: true, enabled: true });
    s.h.model.script({ text: ['HEARTBEAT_OK'] });
    const resumed = nextHeartbeat(s, 1);
    await s.clock.advance(30 * MINUTE);
    expect(await resumed).toMatchObject({ status: 'ok-token' });
    expect(lastUserText(s)).toContain('System: ping');
  });

  it('turns heartbeats off with every "0m" and refuses a wake without text', async () => {
    const s = await start({ defaults: { every: '0m' } });
    const health = await call(s, 'health');
    expect(health.agents[0].heartbeat).toMatchObject({ enabled: false, every: '0m', everyMs: null });
    const res = await s.h.request(s.peer, 'wake', { mode: 'now', text: '   ' });
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe('INVALID_REQUEST');
  });
});

/** Our health against the `health` of v4's Snapshot: v4 requires every, prompt, target and ackMaxChars. */
function v4HealthProblems(health: unknown): string[] {
  const entry = createRequire(import.meta.url).resolve('@openclaw/gateway-protocol');
  const schema = JSON.parse(readFileSync(join(dirname(entry), '..', 'protocol.schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const check = ajv.compile({ definitions: schema.definitions, ...schema.definitions.Snapshot.properties.health });
  return check(health) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
