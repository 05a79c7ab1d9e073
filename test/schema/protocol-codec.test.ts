import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectMemory } from '../../lib/memory-transport.js';
import { eventSpecs, methodSpecs } from '../../lib/protocol/generated/specs.js';
import { CLIENT_MODEL_TARGETS, generateClientModel } from '../../scripts/protocol-gen-clients.js';
import { agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { runGatewayContract } from '../transports/contract.js';
import { Convert } from './generated/protocol-codec.js';

/**
 * The Swift and Kotlin models cannot be compiled here; their executable mirror is the TypeScript
 * codec quicktype renders from the same type graph (same merged unions, same enums, same required
 * fields, unknown properties refused). Every frame of a contract suite run is decoded with it and
 * encoded again, and must come back unchanged.
 */
interface WireText {
  /** Request ids are only unique per connection. */
  connection: number;
  from: 'client' | 'gateway';
  text: string;
}
const wire: WireText[] = [];
let connections = 0;

for (const protocol of [3, 4] as const) {
  runGatewayContract('the in-memory transport, frames recorded for the codec', async (gateway) => ({
    async open(options) {
      const socket = connectMemory(gateway, { local: options?.local ?? true, remoteAddress: options?.local === false ? '203.0.113.7' : '127.0.0.1' });
      const connection = ++connections;
      const peer = new RawPeer(
        (text) => {
          wire.push({ connection, from: 'client', text });
          socket.send(text);
        },
        (c, r) => socket.close(c, r),
      );
      socket.onmessage = (text) => {
        wire.push({ connection, from: 'gateway', text });
        peer.receive(text);
      };
      socket.onclose = (c, r) => peer.markClosed(c, r);
      return peer;
    },
    async close() {},
  }), { supportsRemote: true, protocol });
}

const { start } = agentGatewayPerTest();

describe('agent, chat and session frames, recorded for the codec', () => {
  // The contract suite stops at the core methods: one agent run and one chat turn over a real
  // gateway add the two-phase agent answer, agent and chat events, and the session reads.
  it('runs an agent turn and a chat turn, then reads the session back', { timeout: 20_000 }, async () => {
    const h = await start();
    const peer = await h.connect();
    const requests: Array<{ id: string; method: string; params: unknown }> = [];
    const send = (method: string, params: unknown): string => {
      const id = h.send(peer, method, params);
      requests.push({ id, method, params });
      return id;
    };
    await h.final(peer, send('agent', { message: 'hello', sessionKey: 'main', idempotencyKey: 'codec-agent' }));
    send('chat.send', { sessionKey: 'main', message: 'hi', idempotencyKey: 'codec-chat' });
    await peer.next((f) => f.event === 'chat' && f.payload.state === 'final');
    const reads: Array<[string, unknown]> = [
      ['agent.wait', { runId: 'codec-agent' }],
      ['chat.history', { sessionKey: 'main' }],
      ['sessions.list', {}],
      ['sessions.preview', { keys: ['main'] }],
      ['sessions.describe', { key: 'agent:main:main' }],
      ['agents.list', {}],
      ['agent.identity.get', {}],
      ['models.list', {}],
      ['usage.cost', {}],
      ['status', {}],
    ];
    for (const [method, params] of reads) {
      const res = await h.final(peer, send(method, params));
      expect(res.ok, `${method}: ${JSON.stringify(res.error)}`).toBe(true);
    }
    const connection = ++connections;
    for (const r of requests) wire.push({ connection, from: 'client', text: JSON.stringify({ type: 'req', ...r }) });
    for (const frame of peer.frames) wire.push({ connection, from: 'gateway', text: JSON.stringify(frame) });
  });
});

type Codec = { decode(json: string): unknown; encode(value: unknown): string };
const codecs = new Map<string, Codec>();
for (const key of Object.getOwnPropertyNames(Convert)) {
  const match = /^to(.+)$/.exec(key);
  const encode = match && Object.getOwnPropertyNames(Convert).find((k) => k.toLowerCase() === `${match[1]!.toLowerCase()}tojson`);
  const table = Convert as unknown as Record<string, (arg: any) => any>;
  if (match && encode) codecs.set(match[1]!.toLowerCase(), { decode: (json) => table[key]!(json), encode: (value) => table[encode]!(value) });
}

/** The codec of a schema definition; quicktype re-cases acronyms (NodeIDParams → NodeIdParams), hence the lookup by lower case. */
function codec(definition: string): Codec {
  const found = codecs.get(definition.toLowerCase());
  if (!found) throw new Error(`the codec has no converter for ${definition}`);
  return found;
}

/** The handshake is not in x-methods (protocol.md §3): `connect` takes ConnectParams and answers HelloOk. */
const HANDSHAKE = { params: 'ConnectParams', result: 'HelloOk' };
function method(name: string): { params: string; accepted?: string; result: string } | undefined {
  return name === 'connect' ? HANDSHAKE : (methodSpecs as Record<string, { params: string; accepted?: string; result: string }>)[name];
}

describe('the generated protocol codec', () => {
  it('matches what the generator produces from schema/protocol.schema.json', { timeout: 60_000 }, async () => {
    const committed = await readFile(join(import.meta.dirname, '../..', CLIENT_MODEL_TARGETS.codec.file), 'utf8');
    expect(committed, `${CLIENT_MODEL_TARGETS.codec.file} is stale: run ${CLIENT_MODEL_TARGETS.codec.script}`).toBe(await generateClientModel('codec'));
  });

  it('refuses what the types refuse: unknown keys of a closed object, values outside an enum, a missing required field', () => {
    expect(() => codec('ErrorShape').decode('{"code":"x","message":"y","extra":1}')).toThrow(/extra/);
    expect(() => codec('GatewayFrame').decode('{"type":"ping","id":"1"}')).toThrow(/ping/);
    expect(() => codec('RequestFrame').decode('{"type":"req","id":"1"}')).toThrow(/method/);
    expect(JSON.parse(codec('GatewayFrame').encode(codec('GatewayFrame').decode('{"type":"req","id":"1","method":"health"}')))).toEqual({ type: 'req', id: '1', method: 'health' });
  });

  it('decodes and re-encodes every frame of the contract run unchanged, and each params, result and event payload as its own type', () => {
    const failures: string[] = [];
    const exercised = new Map<string, number>();
    const roundTrip = (definition: string, value: unknown, where: string): void => {
      exercised.set(definition, (exercised.get(definition) ?? 0) + 1);
      try {
        const { decode, encode } = codec(definition);
        const back = JSON.parse(encode(decode(JSON.stringify(value))));
        if (!isDeepStrictEqual(back, value)) failures.push(`${where} as ${definition}: came back as ${JSON.stringify(back).slice(0, 300)}`);
      } catch (error) {
        failures.push(`${where} as ${definition}: ${(error as Error).message.slice(0, 300)}`);
      }
    };

    // Requests are judged by the gateway first: the suite sends malformed ones on purpose, so only
    // requests it answered ok are examples of their params.
    const frames = wire.flatMap(({ connection, from, text }) => {
      try {
        return [{ from, frame: JSON.parse(text), key: `${connection}:${JSON.parse(text).id}` }];
      } catch {
        return [];
      }
    });
    const answeredOk = new Set(frames.filter((f) => f.from === 'gateway' && f.frame.type === 'res' && f.frame.ok).map((f) => f.key));
    const methodOf = new Map<string, string>();
    for (const { from, frame, key } of frames) {
      if (from === 'client' && frame.type === 'req' && typeof frame.method === 'string') methodOf.set(key, frame.method);
    }

    for (const { from, frame, key } of frames) {
      const where = `${from} ${JSON.stringify(frame).slice(0, 200)}`;
      if (from === 'client') {
        if (frame.type !== 'req' || !answeredOk.has(key)) continue;
        roundTrip('GatewayFrame', frame, where);
        roundTrip('RequestFrame', frame, where);
        const spec = method(frame.method);
        if (spec && frame.params !== undefined) roundTrip(spec.params, frame.params, where);
        continue;
      }
      roundTrip('GatewayFrame', frame, where);
      if (frame.type === 'res') {
        roundTrip('ResponseFrame', frame, where);
        const spec = method(methodOf.get(key) ?? '');
        if (spec && frame.ok) roundTrip(spec.accepted && frame.payload?.status === 'accepted' ? spec.accepted : spec.result, frame.payload, where);
        else if (!frame.ok) roundTrip('ErrorShape', frame.error, where);
      } else if (frame.type === 'event') {
        roundTrip('EventFrame', frame, where);
        const spec = (eventSpecs as Record<string, { payload: string }>)[frame.event];
        if (spec) roundTrip(spec.payload, frame.payload, where);
      } else {
        failures.push(`${where}: not a frame type the protocol has`);
      }
    }

    expect(failures).toEqual([]);
    // Not a vacuous pass: the run covered the envelopes, the handshake and a spread of payload types.
    expect(exercised.get('GatewayFrame')).toBeGreaterThan(200);
    for (const definition of ['RequestFrame', 'ResponseFrame', 'EventFrame', 'ErrorShape', 'ConnectParams', 'HelloOk', 'ConnectChallengePayload']) {
      expect(exercised.get(definition), definition).toBeGreaterThan(0);
    }
    expect(exercised.size).toBeGreaterThan(20);
  });
});
