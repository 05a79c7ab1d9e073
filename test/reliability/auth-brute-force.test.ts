import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { generateDeviceIdentity } from '../../lib/device-identity.js';
import { Gateway } from '../../lib/gateway.js';
import { agentGatewayPerTest, type AgentGateway } from '../helpers/agent-gateway.js';
import { connectParams, handshake, TOKEN, withDevice } from '../helpers/connect.js';
import { openMemoryPeer } from '../helpers/memory-peer.js';
import type { Frame, RawPeer } from '../helpers/raw-peer.js';
import { openWsRawPeer } from '../helpers/ws-raw-peer.js';

const HOOK_TOKEN = 'hook-secret-0123456789';
const harness = agentGatewayPerTest({ hooks: { token: HOOK_TOKEN }, endpoints: { chatCompletions: true } });

function open(h: AgentGateway, headers?: Record<string, string>): Promise<{ peer: RawPeer; ws: WebSocket }> {
  return openWsRawPeer(h.wsUrl, headers);
}

async function connectOnce(h: AgentGateway, token: string, headers?: Record<string, string>): Promise<Frame> {
  const { peer, ws } = await open(h, headers);
  try {
    return await handshake(peer, () => connectParams({ auth: { token } }));
  } finally {
    ws.terminate();
  }
}

/** How many guesses the backoff (250 ms doubling to 5 s) lets one key make in `elapsedMs`. */
function allowedGuesses(elapsedMs: number): number {
  let guesses = 1;
  let at = 0;
  for (let failures = 1; ; failures++) {
    at += Math.min(5000, 250 * 2 ** (failures - 1));
    if (at > elapsedMs) return guesses;
    guesses += 1;
  }
}

describe('authentication brute force', () => {
  it('limits connect guesses from many sockets to the backoff, and a paired device on the same address is never slowed', async () => {
    const h = await harness.start();
    // The user's own device, paired earlier (local peers are paired at once).
    const identity = generateDeviceIdentity();
    const first = await open(h);
    expect((await handshake(first.peer, (nonce) => withDevice(connectParams(), nonce, { identity }))).ok).toBe(true);
    first.ws.terminate();

    const started = Date.now();
    const outcomes: Frame[] = [];
    let userConnects = 0;
    // Eight sockets at a time keep guessing for ~1.5 s; the user reconnects in between.
    while (Date.now() - started < 1500) {
      outcomes.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => connectOnce(h, `guess-${outcomes.length + i}`)))));
      const user = await open(h);
      const res = await handshake(user.peer, (nonce) => withDevice(connectParams(), nonce, { identity }));
      user.ws.terminate();
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      userConnects += 1;
    }
    const elapsed = Date.now() - started;
    const compared = outcomes.filter((f) => f.error?.details?.code === 'AUTH_TOKEN_MISMATCH');
    const limited = outcomes.filter((f) => f.error?.details?.code === 'AUTH_RATE_LIMITED');
    expect(compared.length + limited.length).toBe(outcomes.length);
    expect(compared.length).toBeGreaterThanOrEqual(1);
    expect(compared.length).toBeLessThanOrEqual(allowedGuesses(elapsed));
    expect(limited.length).toBeGreaterThan(outcomes.length / 2);
    for (const refusal of limited) expect(refusal.error).toMatchObject({ code: 'INVALID_REQUEST', retryable: true, retryAfterMs: expect.any(Number) });
    for (const refusal of compared) expect(refusal.error.retryAfterMs).toBeGreaterThan(0);
    expect(userConnects).toBeGreaterThan(1);

    // While the address is blocked even the right token is not compared; once it waited, it is.
    const blocked = await connectOnce(h, TOKEN);
    expect(blocked.error?.details?.code).toBe('AUTH_RATE_LIMITED');
    await delay(blocked.error.retryAfterMs + 20);
    expect((await connectOnce(h, TOKEN)).ok).toBe(true);
    // Success reset the history: one wrong guess now blocks for the initial 250 ms again.
    expect((await connectOnce(h, 'wrong')).error.retryAfterMs).toBe(250);
  });

  it("keeps a hostile page's guesses from slowing the user's CLI (a paired device) on the same loopback address", async () => {
    const h = await harness.start();
    const cli = generateDeviceIdentity();
    const first = await open(h);
    expect((await handshake(first.peer, (nonce) => withDevice(connectParams(), nonce, { identity: cli }))).ok).toBe(true);
    first.ws.terminate();

    // The Origin is the page's to choose here (a script, not a browser): it buys no fresh key.
    expect((await connectOnce(h, 'guess-1', { origin: 'http://evil.example' })).error.details.code).toBe('AUTH_TOKEN_MISMATCH');
    expect((await connectOnce(h, 'guess-2', { origin: 'http://other.example' })).error.details.code).toBe('AUTH_RATE_LIMITED');
    // A token-only client on that address waits too; the paired CLI does not.
    expect((await connectOnce(h, TOKEN)).error.details.code).toBe('AUTH_RATE_LIMITED');
    const again = await open(h);
    const res = await handshake(again.peer, (nonce) => withDevice(connectParams(), nonce, { identity: cli }));
    again.ws.terminate();
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
  });

  it('limits HTTP bearer and hook token guesses with 401, then 429 and Retry-After', async () => {
    const h = await harness.start();
    const completions = (token: string) =>
      fetch(`${h.httpUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      });
    const wrong = await completions('nope');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('retry-after')).toBe('1');
    const limited = await completions(TOKEN);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await limited.json()).error.type).toBe('rate_limit_exceeded');
    await delay(300);
    h.model.script({ text: ['hello'] });
    expect((await completions(TOKEN)).status).toBe(200);

    // The hook token is a secret too, checked under the same limits.
    const hook = (token: string) => fetch(`${h.httpUrl}/hooks/wake`, { method: 'POST', headers: { 'x-openclaw-token': token }, body: '{"text":"x"}' });
    expect((await hook('nope')).status).toBe(401);
    expect((await hook(HOOK_TOKEN)).status).toBe(429);
    await delay(300);
    expect((await hook(HOOK_TOKEN)).status).toBe(200);
  });

  it('counts wrong device tokens as guesses in password mode too', async () => {
    const gateway = new Gateway({ auth: { mode: 'password', password: 'pw-0123456789' } });
    await gateway.start();
    try {
      const identity = generateDeviceIdentity();
      const attempt = async (token: string) => {
        return handshake(openMemoryPeer(gateway, { remoteAddress: '192.0.2.10', local: false }), (nonce) => withDevice(connectParams({ auth: { token } }), nonce, { identity }));
      };
      expect((await attempt('not-the-device-token')).error.details.code).toBe('AUTH_PASSWORD_MISSING');
      expect((await attempt('another-guess')).error.details.code).toBe('AUTH_RATE_LIMITED');
    } finally {
      await gateway.close();
    }
  });

  it('limits per forwarded client behind a trusted proxy, and caps all clients together', () => {
    const auth = { mode: 'token' as const, token: TOKEN };
    const viaProxy = (ip: string) => ({ remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': ip } });
    // Without trusting the proxy every client shares its address: one wrong guess blocks them all.
    const untrusting = new Gateway({ auth });
    expect(untrusting.authorizeHttp(viaProxy('198.51.100.1'), 'nope')).toMatchObject({ ok: false, status: 401 });
    expect(untrusting.authorizeHttp(viaProxy('198.51.100.2'), TOKEN)).toMatchObject({ ok: false, status: 429 });
    // A trusted proxy's forwarded address is the client: one client's guess does not block another.
    const trusting = new Gateway({ auth, trustedProxies: ['10.9.9.9'] });
    expect(trusting.authorizeHttp(viaProxy('198.51.100.1'), 'nope')).toMatchObject({ ok: false, status: 401 });
    expect(trusting.authorizeHttp(viaProxy('198.51.100.1'), TOKEN)).toMatchObject({ ok: false, status: 429 });
    expect(trusting.authorizeHttp(viaProxy('198.51.100.2'), TOKEN)).toEqual({ ok: true });

    // Many distinct clients: each gets its guess compared only until the global budget runs out,
    // while a client that authenticated before is never held back by them.
    let compared = 0;
    for (let i = 0; i < 200; i++) {
      const verdict = trusting.authorizeHttp(viaProxy(`203.0.113.${i}`), 'nope');
      if (!verdict.ok && verdict.status === 401) compared += 1;
    }
    // The burst of 20 (one already spent above), plus the trickle the budget refills meanwhile.
    expect(compared).toBeGreaterThanOrEqual(19);
    expect(compared).toBeLessThan(40);
    expect(trusting.authorizeHttp(viaProxy('198.51.100.77'), TOKEN)).toMatchObject({ ok: false, status: 429 });
    expect(trusting.authorizeHttp(viaProxy('198.51.100.2'), TOKEN)).toEqual({ ok: true });
  });
});
