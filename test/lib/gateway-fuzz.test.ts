import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { methodSpecs } from '../../lib/protocol/index.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { call, connectParams, handshake } from '../helpers/connect.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';

/**
 * Property-based robustness: random, malformed and out-of-order frames thrown at a live gateway
 * over real WebSockets. Every frame with an id gets its own error or result, garbage is ignored,
 * the fuzzing socket stays open, and a second client keeps being served throughout.
 */
describe('gateway under random frames', () => {
  const gateway = createTestGateway({ policy: { tickIntervalMs: 60_000, maxPayload: 64 * 1024 } });
  let transport: WebSocketTransport;
  let port: number;
  const errors: Error[] = [];

  async function openPeer(): Promise<RawPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const peer = new RawPeer((t) => ws.send(t), (c, r) => ws.close(c, r));
    ws.on('message', (d) => peer.receive(d.toString()));
    ws.on('close', (c, r) => peer.markClosed(c, r.toString()));
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return peer;
  }

  beforeAll(async () => {
    gateway.on('error', (e) => errors.push(e));
    await gateway.start();
    transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1', maxPayload: gateway.policy.maxPayload });
    ({ port } = await transport.listen());
  });

  afterAll(async () => {
    await gateway.close();
    await transport.close();
  });

  const json = fc.jsonValue({ maxDepth: 3 });
  const methods = fc.constantFrom(...Object.keys(methodSpecs), 'connect', 'nope', '', 'node.invoke', '__proto__', 'constructor');
  const reqLike = fc.record(
    {
      type: fc.constantFrom('req', 'res', 'event', 'REQ', 1),
      id: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant(''), fc.integer()),
      method: fc.oneof(methods, fc.string()),
      params: fc.oneof(json, fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 4 })),
      extra: json,
    },
    { requiredKeys: [] },
  );
  const frame = fc.oneof(
    { weight: 4, arbitrary: reqLike.map((f) => JSON.stringify(f)) },
    { weight: 2, arbitrary: json.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map((s) => `{"type":"req","id":${JSON.stringify(s)},"method":"health"`) },
  );

  /** The id the gateway must answer on, or undefined when it must stay silent (unparsable text). */
  function expectedId(text: string, tag: string): string | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const id = (parsed as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id ? `${tag}${id}` : 'invalid';
  }

  it('answers every frame that carries an id and keeps serving everyone', async () => {
    const fuzzer = await openPeer();
    expect((await handshake(fuzzer)).ok).toBe(true);
    const bystander = await openPeer();
    expect((await handshake(bystander)).ok).toBe(true);
    let batch = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 15 }), async (frames) => {
        const tag = `b${++batch}-`;
        const before = fuzzer.frames.length;
        const expected: string[] = [];
        for (const text of frames) {
          // Tag string ids so answers from different batches can't be confused.
          const tagged = text.replace(/"id":"/, `"id":"${tag}`);
          const id = expectedId(tagged, '');
          if (id !== undefined) expected.push(id);
          fuzzer.sendText(tagged);
        }
        await fuzzer.waitFor(() => {
          const answered = fuzzer.frames.slice(before).filter((f) => f.type === 'res').map((f) => f.id as string);
          return expected.every((id) => answered.includes(id)) || undefined;
        }, `answers to ${JSON.stringify(expected)}`);
        const health = await call(bystander, 'health');
        expect(health.ok).toBe(true);
        expect(fuzzer.closed).toBeUndefined();
      }),
      { numRuns: 60 },
    );
    expect(fuzzer.frames.every((f) => f.type !== 'unparsable')).toBe(true);
    expect(errors.filter((e) => !/method/.test(e.message))).toEqual([]);
  });

  it('closes or answers every random first frame, never hangs or crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(frame, reqLike.map((f) => JSON.stringify({ ...f, type: 'req', method: 'connect' }))),
        async (text) => {
          const peer = await openPeer();
          await peer.challenge();
          peer.sendText(text);
          const outcome = await peer.waitFor(
            () => peer.closed ?? peer.frames.find((f) => f.type === 'res'),
            'close or res',
          );
          if ('code' in outcome && !('type' in outcome)) {
            expect([1002, 1008, 1009]).toContain(outcome.code);
          } else {
            const res = outcome as unknown as { ok: boolean };
            // Only a well-formed connect can succeed.
            if (!res.ok) expect((await peer.waitClosed()).code).toBeGreaterThanOrEqual(1002);
          }
          peer.close();
        },
      ),
      { numRuns: 80 },
    );
    const control = await openPeer();
    expect((await handshake(control, () => connectParams())).ok).toBe(true);
    expect((await call(control, 'status')).ok).toBe(true);
  });
});
