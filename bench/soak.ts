/**
 * `npm run soak -- --minutes 10` — N minutes of churn against one gateway (the public runtime, in a
 * child process) with a Telegram channel and agent runs against local stand-ins: clients connect,
 * call methods and leave; beacons make presence broadcasts to everyone connected; Telegram messages
 * come in and are answered by agent runs. Prints ONE JSON document on stdout (progress on stderr)
 * and exits 1 when the gateway leaks: a heap or external-memory slope beyond noise (RSS is
 * reported, not judged: the allocator holds on to freed pages), a growing fd count, an
 * event-loop stall over 100 ms, or errors. Not part of CI: it takes minutes by design.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GatewayClient } from '../lib/client/index.js';
import { BotApiStub } from '../test/channels/bot-api-stub.js';
import { FakeModelServer } from '../test/helpers/fake-model-server.js';
import { LineChannel, spawn, stopChild, tailOf } from './child.js';
import { errorText, progress, sleep } from './log.js';
import { linearTrend, percentile, round } from './stats.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '10' }, clients: { type: 'string', default: '10' } } });
const MINUTES = Number(values.minutes);
const CLIENTS_PER_CYCLE = Number(values.clients);
const SAMPLE_EVERY_MS = Math.min(10_000, (MINUTES * 60_000) / 12);
/**
 * The first part of the run is warm-up, not part of the slope: JIT and pools, and the bounded
 * caches that keep entries for 5 minutes (presence, the run ledger, inbound dedupe, idempotency)
 * filling up to their steady size. So 5 minutes, but at least a fifth and at most half the run.
 */
const WARMUP_MS = Math.min(Math.max(5 * 60_000, 0.2 * MINUTES * 60_000), 0.5 * MINUTES * 60_000);
const MAX_STALL_MS = 100;
const TOKEN = 'soak-token-8c1d2e3f4a5b6c7d';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  atMs: number;
  rss: number;
  heapUsed: number;
  external: number;
  fds: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

/** Least-squares slope of y over x, and whether it is distinguishable from zero (t > 3). */
function trend(points: Array<[number, number]>): { perMinute: number; significant: boolean } {
  if (points.length < 3) return { perMinute: 0, significant: false };
  const { slope, stderr } = linearTrend(points);
  if (Number.isNaN(slope)) return { perMinute: 0, significant: false };
  return { perMinute: slope * 60_000, significant: stderr === 0 ? slope > 0 : slope / stderr > 3 };
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-soak-'));
  const stub = await new BotApiStub().start();
  const model = await FakeModelServer.start('openai');
  model.defaultReply = { text: ['soak ', 'reply'] };
  const configPath = join(home, 'openclaw.json');
  await writeFile(
    configPath,
    JSON.stringify({
      gateway: { mode: 'local', auth: { token: TOKEN } },
      models: { providers: { local: { baseUrl: model.baseUrl, apiKey: 'k', api: 'openai-completions', models: [{ id: 'stand-in' }] } } },
      agents: { defaults: { model: 'local/stand-in' } },
      channels: { telegram: { botToken: stub.token, apiRoot: stub.apiRoot, dmPolicy: 'open', allowFrom: ['*'] } },
      logging: { file: join(home, 'gateway.log') },
    }),
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/soak-child.ts', configPath, join(home, 'state')], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OPENCLAW_SKIP_CANVAS_HOST: '1' },
  });
  const stderrTail = tailOf(child);
  const channel = new LineChannel(child);
  const errors: string[] = [];
  const samples: Sample[] = [];
  const rpcMs: number[] = [];
  let cycles = 0;
  let inbound = 0;
  let replies = 0;
  const started = performance.now();
  try {
    const { port } = JSON.parse(await channel.next(60_000, 'gateway start')) as { port: number };
    const url = `ws://127.0.0.1:${port}`;
    const sample = async () => {
      const s = JSON.parse(await channel.request('sample', 30_000)) as Omit<Sample, 'atMs'>;
      samples.push({ atMs: performance.now() - started, ...s });
    };
    await sample();
    let nextSample = SAMPLE_EVERY_MS;
    const endAt = MINUTES * 60_000;
    while (performance.now() - started < endAt) {
      cycles += 1;
      await churn(url, cycles, rpcMs, errors);
      stub.pushMessage({ text: `soak message ${cycles}`, fromId: 5000 + (cycles % 50) });
      inbound += 1;
      replies += stub.sent('sendMessage').length;
      stub.calls.length = 0;
      model.requests.length = 0;
      if (performance.now() - started >= nextSample) {
        await sample();
        nextSample += SAMPLE_EVERY_MS;
        const last = samples.at(-1)!;
        progress(`soak: ${round(last.atMs / 60_000, 1)} min, heap ${round(last.heapUsed / 2 ** 20)} MB, rss ${round(last.rss / 2 ** 20)} MB, fds ${last.fds}, loop max ${round(last.loopMaxMs)} ms`);
      }
      await sleep(200);
    }
    await sleep(2_000);
    await sample();
  } catch (err) {
    errors.push(`soak aborted: ${errorText(err)}; gateway stderr: ${stderrTail()}`);
  } finally {
    child.stdin?.end();
    await stopChild(child, 10_000);
    channel.close();
    await stub.close();
    await model.close();
    await rm(home, { recursive: true, force: true });
  }
  const result = report(samples, rpcMs, { cycles, inbound, replies }, errors);
  console.log(JSON.stringify(result, null, 2));
  if (!result.ok) process.exitCode = 1;
}

/** One cycle: clients connect, call methods, one sends a beacon that reaches all of them, all leave. */
async function churn(url: string, cycle: number, rpcMs: number[], errors: string[]): Promise<void> {
  const clients = Array.from(
    { length: CLIENTS_PER_CYCLE },
    (_, i) => new GatewayClient({ url, token: TOKEN, reconnect: false, client: { id: 'test', mode: 'backend', version: 'soak', platform: process.platform, instanceId: `soak-${cycle}-${i}` } }),
  );
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const timed = async (run: () => Promise<unknown>) => {
      const t0 = performance.now();
      await run();
      rpcMs.push(performance.now() - t0);
    };
    await Promise.all(
      clients.map(async (c) => {
        await timed(() => c.call('health', {}));
        await timed(() => c.call('status', {}));
        await timed(() => c.call('sessions.list', {}));
      }),
    );
    await timed(() => clients[0]!.call('system-event', { text: `soak beacon ${cycle}`, instanceId: `soak-beacon-${cycle % 5}` }));
  } catch (err) {
    if (errors.length < 50) errors.push(`cycle ${cycle}: ${errorText(err)}`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

function report(samples: Sample[], rpcMs: number[], counts: { cycles: number; inbound: number; replies: number }, errors: string[]): { ok: boolean } & Record<string, unknown> {
  const steady = samples.filter((s) => s.atMs >= WARMUP_MS);
  const heap = trend(steady.map((s) => [s.atMs, s.heapUsed]));
  const rss = trend(steady.map((s) => [s.atMs, s.rss]));
  const external = trend(steady.map((s) => [s.atMs, s.external]));
  const fds = steady.map((s) => s.fds);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  // "Beyond noise": a significant slope that would also add more than 5% over the run.
  const runMinutes = MINUTES;
  const heapLeak = heap.significant && heap.perMinute * runMinutes > 0.05 * mean(steady.map((s) => s.heapUsed));
  const externalLeak = external.significant && external.perMinute * runMinutes > 0.1 * mean(steady.map((s) => s.external)) + 2 ** 20;
  const fdGrowth = fds.length > 1 && Math.min(...fds.slice(-3)) > Math.max(...fds.slice(0, 3)) + 5;
  const loopMaxMs = Math.max(0, ...samples.slice(1).map((s) => s.loopMaxMs));
  const sorted = [...rpcMs].sort((a, b) => a - b);
  const failures = [
    ...(heapLeak ? ['heap grows'] : []),
    ...(externalLeak ? ['external memory grows'] : []),
    ...(fdGrowth ? ['fd count grows'] : []),
    ...(loopMaxMs > MAX_STALL_MS ? [`event-loop stall of ${round(loopMaxMs)} ms`] : []),
    ...(errors.length ? [`${errors.length} errors`] : []),
  ];
  const mb = (b: number) => round(b / 2 ** 20, 2);
  return {
    ok: failures.length === 0,
    failures,
    minutes: MINUTES,
    cycles: counts.cycles,
    clients: counts.cycles * CLIENTS_PER_CYCLE,
    inboundMessages: counts.inbound,
    replies: counts.replies,
    samples: samples.length,
    heapMB: { start: mb(steady[0]?.heapUsed ?? 0), end: mb(samples.at(-1)?.heapUsed ?? 0), slopePerMinute: mb(heap.perMinute), significant: heap.significant },
    externalMB: { start: mb(steady[0]?.external ?? 0), end: mb(samples.at(-1)?.external ?? 0), slopePerMinute: mb(external.perMinute), significant: external.significant },
    // Reported, not judged: the allocator keeps freed pages (and libuv's threads their arenas) for a while.
    rssMB: { start: mb(steady[0]?.rss ?? 0), end: mb(samples.at(-1)?.rss ?? 0), slopePerMinute: mb(rss.perMinute), significant: rss.significant },
    fds: { start: fds[0], end: fds.at(-1), min: Math.min(...fds), max: Math.max(...fds) },
    eventLoop: { p99Ms: round(Math.max(0, ...samples.slice(1).map((s) => s.loopP99Ms))), maxMs: round(loopMaxMs) },
    rpc: { count: rpcMs.length, p50Ms: round(percentile(sorted, 50), 2), p99Ms: round(percentile(sorted, 99), 2) },
    errors,
  };
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(errorText(err));
    process.exit(1);
  },
);
