import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCluster } from '../../cluster/postgres.js';
import type { OutboxEntry } from '../../lib/channels/outbox-store.js';
import { DevicePairingStore } from '../../lib/device-pairing-store.js';
import { LeaseKeeper } from '../../lib/channels/lease-keeper.js';
import { systemClock } from '../../lib/clock.js';
import type { Lease } from '../../lib/lease.js';
import { LeaseLeadership } from '../../lib/lease-leadership.js';
import { silentLogger } from '../../lib/logger.js';
import { SessionStore } from '../../lib/sessions/session-store.js';
import { HAS_POSTGRES, POSTGRES_SKIP_MESSAGE, startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { eventually } from './harness.js';

if (!HAS_POSTGRES) console.warn(POSTGRES_SKIP_MESSAGE);

const message = { to: '42', text: 'hi' };

describe.skipIf(!HAS_POSTGRES)('PostgreSQL store, leases and outbox (real server)', () => {
  let server: PostgresServer;
  const open: PostgresCluster[] = [];
  const leases: Lease[] = [];
  let schemaSeq = 0;

  beforeAll(async () => {
    server = await startPostgresServer();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release()));
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Two instances on one fresh schema. */
  async function pair(): Promise<[PostgresCluster, PostgresCluster]> {
    const schema = `t${++schemaSeq}`;
    const a = await PostgresCluster.connect({ url: server.url, schema, instanceId: 'a' });
    const b = await PostgresCluster.connect({ url: server.url, schema, instanceId: 'b' });
    open.push(a, b);
    return [a, b];
  }

  it('creates its tables once, also when several instances start at the same time', async () => {
    const schema = 'concurrent';
    const all = await Promise.all(['x', 'y', 'z'].map((instanceId) => PostgresCluster.connect({ url: server.url, schema, instanceId })));
    open.push(...all);
    const { rows } = await all[0]!.pool.query(`SELECT version FROM ${schema}.migrations`);
    expect(rows).toEqual([{ version: 1 }]);
  });

  it('storage: a write on one instance is read on the other, and announced to it', async () => {
    const [a, b] = await pair();
    const heard: string[] = [];
    b.storage.onExternalChange((key) => heard.push(key));
    await a.storage.write('devices/paired.json', '{"d1":{}}');
    expect(await b.storage.read('devices/paired.json')).toBe('{"d1":{}}');
    await a.storage.append('log.jsonl', 'one\n');
    await a.storage.append('log.jsonl', 'two\n');
    expect(await b.storage.read('log.jsonl')).toBe('one\ntwo\n');
    await eventually(() => heard.includes('devices/paired.json') && heard.includes('log.jsonl'), 'change notices');
    await a.storage.remove('log.jsonl');
    expect(await b.storage.read('log.jsonl')).toBeUndefined();
  });

  it('storage: compareAndSet lets exactly one of two concurrent read-modify-writes win', async () => {
    const [a, b] = await pair();
    await a.storage.write('counter', '0');
    // Each instance adds 1 twenty times, reading then swapping, retrying when it lost the race.
    const bump = async (storage: PostgresCluster['storage']) => {
      for (let i = 0; i < 20; i++) {
        for (;;) {
          const current = (await storage.read('counter'))!;
          if (await storage.compareAndSet('counter', current, String(Number(current) + 1))) break;
        }
      }
    };
    await Promise.all([bump(a.storage), bump(b.storage)]);
    expect(await a.storage.read('counter')).toBe('40');
    expect(await a.storage.compareAndSet('fresh', undefined, 'x')).toBe(true);
    expect(await b.storage.compareAndSet('fresh', undefined, 'y')).toBe(false);
    expect(await b.storage.compareAndSet('fresh', 'x', undefined)).toBe(true);
    expect(await a.storage.read('fresh')).toBeUndefined();
  });

  it('device pairing on two instances: concurrent changes are all kept, and a token issued on one verifies on the other', async () => {
    const [a, b] = await pair();
    const onA = new DevicePairingStore({ storage: a.storage, now: Date.now });
    const onB = new DevicePairingStore({ storage: b.storage, now: Date.now });
    await Promise.all([onA.load(), onB.load()]);
    const device = (id: string) => ({ deviceId: id, publicKey: `pk-${id}`, role: 'operator', roles: ['operator'], scopes: ['operator.read'] });
    // Ten devices ask at once, half through each instance: a lost update would drop some.
    const requests = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? onA : onB).requestPairing(device(`d${i}`))));
    await Promise.all(requests.map(({ request }, i) => (i % 2 ? onB : onA).approve(request.requestId)));
    await eventually(() => onA.listPaired().length === 10 && onB.listPaired().length === 10, 'both instances to see all ten devices');
    const token = await onA.ensureToken('d3', 'operator', ['operator.read']);
    await eventually(() => onB.verifyToken('d3', 'operator', token.token, ['operator.read']), 'the token to verify on the other instance');
    await onB.revoke('d3', 'operator');
    await eventually(() => !onA.verifyToken('d3', 'operator', token.token, ['operator.read']), 'the revocation to reach the first instance');
    expect(onA.listPending()).toEqual([]);
  });

  it('sessions on two instances: rows either one writes are all kept, transcripts and their message order are shared', async () => {
    const [a, b] = await pair();
    const onA = new SessionStore({ storage: a.storage, indexWriteDelayMs: 50 });
    const onB = new SessionStore({ storage: b.storage, indexWriteDelayMs: 50 });
    await Promise.all([onA.load('main'), onB.load('main')]);
    // Addressable sessions (written at once) and a run's deferred update, interleaved across instances.
    const entries = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? onA : onB).ensure('main', `agent:main:s${i}`)));
    await onA.update('main', 'agent:main:s1', { model: 'm-a' });
    await onB.update('main', 'agent:main:s2', { model: 'm-b' });
    await Promise.all([onA.flush('main'), onB.flush('main')]);
    const keysOf = (store: SessionStore) => store.entries('main').map((e) => e.key).sort();
    const all = Array.from({ length: 8 }, (_, i) => `agent:main:s${i}`).sort();
    await eventually(() => JSON.stringify(keysOf(onA)) === JSON.stringify(all) && JSON.stringify(keysOf(onB)) === JSON.stringify(all), 'both instances to list all eight sessions');
    await eventually(() => onA.peek('main', 'agent:main:s2')?.model === 'm-b' && onB.peek('main', 'agent:main:s1')?.model === 'm-a', 'each deferred update on the other instance');
    // A conversation that moves from one instance to the other (a failover) keeps its history and numbering.
    const seqs: number[] = [];
    onB.onChange((c) => c.type === 'message' && seqs.push(c.seq));
    const entry = entries[0]!;
    await onB.append('main', 'agent:main:s0', entry, { role: 'user', content: 'zero', timestamp: 1 });
    await onA.append('main', 'agent:main:s0', entry, { role: 'user', content: 'one', timestamp: 2 });
    await onA.append('main', 'agent:main:s0', entry, { role: 'user', content: 'two', timestamp: 3 });
    // B counted its first line itself; A's two reached it as change notices.
    await new Promise((r) => setTimeout(r, 200));
    await onB.append('main', 'agent:main:s0', entry, { role: 'user', content: 'three', timestamp: 4 });
    expect(seqs).toEqual([1, 4]);
    expect((await onB.messages('main', entry)).map((l) => l.message.content)).toEqual(['zero', 'one', 'two', 'three']);
    await onA.remove('main', 'agent:main:s7');
    await eventually(() => onB.peek('main', 'agent:main:s7') === undefined, 'the removal on the other instance');
  });

  it('lease: one holder at a time, a fencing token that grows with every acquisition, takeover after release', async () => {
    const [a, b] = await pair();
    const first = (await a.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    leases.push(first);
    expect(first.fencingToken).toBe(1);
    expect(await b.leases.tryAcquire('telegram-default', { ttlMs: 3000 })).toBeUndefined();
    await first.renew();
    expect(await a.leases.isCurrent('telegram-default', 1)).toBe(true);
    expect((await b.leases.list()).map((r) => [r.key, r.holder, r.fencingToken])).toEqual([['telegram-default', 'a', 1]]);
    await first.release();
    const second = (await b.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    leases.push(second);
    expect(second.fencingToken).toBe(2);
    expect(await a.leases.isCurrent('telegram-default', 1)).toBe(false);
    expect(b.leases.held().map((l) => l.key)).toEqual(['telegram-default']);
  });

  it('lease: a release is announced, so a contender waiting on another instance tries at once instead of at its next retry', async () => {
    const [a, b] = await pair();
    const held = (await a.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    let retries = 0;
    const keeper = new LeaseKeeper({
      leases: b.leases,
      key: 'telegram-default',
      clock: systemClock,
      ttlMs: 3000,
      retry: { initialMs: 60_000, maxMs: 60_000 },
      log: () => undefined,
      onRetry: () => retries++,
      onLost: () => undefined,
    });
    try {
      expect(await keeper.acquire()).toBe(false);
      await held.release();
      await eventually(() => retries === 1, 'the waiting contender to be told of the release');
      expect(await keeper.acquire()).toBe(true);
      expect(keeper.lease!.fencingToken).toBe(2);
    } finally {
      await keeper.release();
    }
  });

  it('leadership (heartbeats): exactly one instance leads, and the other takes over when it stops', async () => {
    const [a, b] = await pair();
    const lead = (cluster: PostgresCluster) => new LeaseLeadership({ leases: cluster.leases, key: 'heartbeat', ttlMs: 3000, clock: systemClock, logger: silentLogger });
    const onA = lead(a);
    const onB = lead(b);
    const changes: string[] = [];
    onB.onChange((leading) => changes.push(`b ${leading}`));
    try {
      await onA.start();
      await onB.start();
      expect([onA.leading, onB.leading]).toEqual([true, false]);
      await onA.close();
      await eventually(() => onB.leading, 'the other instance to lead');
      expect(onA.leading).toBe(false);
      expect(changes).toEqual(['b true']);
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it('lease: a holder whose database session dies loses it at once, and another takes it', async () => {
    const [a, b] = await pair();
    const lease = (await a.leases.tryAcquire('whatsapp-default', { ttlMs: 60_000 }))!;
    leases.push(lease);
    const lost = new Promise<string>((resolve) => lease.onLost(resolve));
    // The server ends the holder's session, as when its host dies and the connection closes.
    await b.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'clawgate lease a'`);
    expect(await lost).toMatch(/session/);
    const next = await eventually(() => b.leases.tryAcquire('whatsapp-default', { ttlMs: 3000 }), 'the takeover');
    leases.push(next);
    expect(next.fencingToken).toBe(lease.fencingToken + 1);
  });

  it('lease: a holder that stops renewing is lost by its own clock at the TTL, and another takes over', async () => {
    const [a, b] = await pair();
    const lease = (await a.leases.tryAcquire('telegram-ops', { ttlMs: 1500 }))!;
    leases.push(lease);
    const lost = new Promise<string>((resolve) => lease.onLost(resolve));
    // Before the TTL the lock and the unexpired row keep the contender out.
    expect(await b.leases.tryAcquire('telegram-ops', { ttlMs: 1500 })).toBeUndefined();
    expect(await lost).toMatch(/not renewed within its TTL/);
    const next = await eventually(() => b.leases.tryAcquire('telegram-ops', { ttlMs: 1500 }), 'the takeover of an expired lease', 10_000);
    leases.push(next);
    expect(next.fencingToken).toBe(2);
    await expect(lease.renew()).rejects.toThrow(/lost/);
  });

  it('outbox: a claim under a superseded fencing token is refused, the current holder claims and settles once', async () => {
    const [a, b] = await pair();
    const old = (await a.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    await old.release();
    const current = (await b.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    leases.push(current);
    const entry = { key: 'send:k1', runId: 'k1', channel: 'telegram', message, queued: false };
    const submitted = await a.outbox.submit(entry);
    expect(submitted).toMatchObject({ state: 'pending', attempts: 0 });
    await expect(a.outbox.enqueue(entry, { leaseKey: 'telegram-default', fencingToken: old.fencingToken })).rejects.toThrow(/no longer current/);
    await expect(a.outbox.markAttempt('send:k1', { leaseKey: 'telegram-default', fencingToken: old.fencingToken })).rejects.toThrow(/no longer current/);
    expect((await a.outbox.get('send:k1'))!.attempts).toBe(0);
    const claimed = await b.outbox.enqueue(entry, { leaseKey: 'telegram-default', fencingToken: current.fencingToken });
    expect(claimed).toMatchObject({ state: 'pending', attempts: 1 });
    await b.outbox.markDelivered('send:k1', { runId: 'k1', channel: 'telegram', messageId: '9' });
    // The same key again, through either instance: the recorded outcome, nothing new to send.
    expect(await a.outbox.submit(entry)).toMatchObject({ state: 'delivered', result: { messageId: '9' } });
    expect(await b.outbox.enqueue(entry, { leaseKey: 'telegram-default', fencingToken: current.fencingToken })).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(await a.outbox.pending()).toEqual([]);
  });

  it('outbox: a takeover waits for a claim in progress, so the new owner sees it', async () => {
    const [a, b] = await pair();
    const lease = (await a.leases.tryAcquire('telegram-default', { ttlMs: 3000 }))!;
    leases.push(lease);
    const entry = { key: 'send:k2', runId: 'k2', channel: 'telegram', message, queued: false };
    // Hold a's claim transaction open (as a slow claim would) and try to bump the fencing token meanwhile.
    const claim = await a.pool.connect();
    try {
      await claim.query('BEGIN');
      await claim.query(`SELECT 1 FROM ${a.schema}.leases WHERE key = 'telegram-default' FOR SHARE`);
      const bump = new pg.Client(server.url);
      await bump.connect();
      let bumped = false;
      const bumping = bump.query(`UPDATE ${a.schema}.leases SET fencing_token = fencing_token + 1 WHERE key = 'telegram-default'`).then(() => (bumped = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(bumped).toBe(false);
      await claim.query('COMMIT');
      await bumping;
      await bump.end();
    } finally {
      claim.release();
    }
    await expect(a.outbox.enqueue(entry, { leaseKey: 'telegram-default', fencingToken: lease.fencingToken })).rejects.toThrow(/no longer current/);
    expect(await b.outbox.get('send:k2')).toBeUndefined();
  });

  it('outbox: pending sends come back oldest first, settled ones are kept for duplicates and announced', async () => {
    const [a, b] = await pair();
    const heard: string[] = [];
    b.outbox.onExternalChange((key) => heard.push(key));
    for (const k of ['x', 'y', 'z']) await a.outbox.submit({ key: `send:${k}`, runId: k, channel: 'telegram', message, queued: false });
    expect((await b.outbox.pending()).map((e: OutboxEntry) => e.key)).toEqual(['send:x', 'send:y', 'send:z']);
    await a.outbox.markFailed('send:y', { message: 'bad chat', deliveryUnknown: false });
    expect((await b.outbox.pending()).map((e) => e.key)).toEqual(['send:x', 'send:z']);
    // A definite failure leaves the key free for a retry.
    expect(await b.outbox.submit({ key: 'send:y', runId: 'y', channel: 'telegram', message, queued: false })).toMatchObject({ state: 'pending', attempts: 0 });
    await eventually(() => ['send:x', 'send:y', 'send:z'].every((k) => heard.includes(k)), 'outbox notices');
  });
});
