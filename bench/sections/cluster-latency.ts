import { performance } from 'node:perf_hooks';
import type { GatewayClient } from '../../lib/client/index.js';
import { killAll } from '../../test/bin/helpers.js';
import { HAS_NATS_SERVER, NATS_SKIP_MESSAGE, startNatsServer } from '../../test/helpers/nats-server.js';
import { ClusterHarness } from '../../test/cluster/harness.js';
import type { Cleanup } from '../log.js';
import { progress, withTimeout } from '../log.js';
import { round, summarize } from '../stats.js';

const WARMUP = 20;
const ROUNDS = 300;
/** What the hop to another instance may add to an event's p99 over a client on the raising instance. */
const TARGET_EXTRA_P99_MS = 5;

/** Resolves when `client` sees `node.pair.requested` for `nodeId`, with the arrival time. */
function arrival(client: GatewayClient, nodeId: string): Promise<number> {
  return new Promise((resolve) => {
    const off = client.on('node.pair.requested', (p) => {
      if (p.nodeId !== nodeId) return;
      off();
      resolve(performance.now());
    });
  });
}

/**
 * Cross-instance event latency in a two-instance cluster on a real NATS JetStream: an operator on
 * instance A raises an event (`node.pair.request` broadcasts `node.pair.requested`), and we time
 * from the request until a client on A and a client on B each receive it. Both travel through the
 * bus (every broadcast of a cluster does, so every instance sees one order); the difference is the
 * hop to the other process.
 */
export async function clusterLatencySection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  if (!HAS_NATS_SERVER) return { skipped: NATS_SKIP_MESSAGE };
  const nats = await startNatsServer();
  cleanup.add('nats-server', () => nats.close());
  const cluster = await ClusterHarness.create(2, { natsUrl: nats.url });
  cleanup.add('gateways', async () => {
    await cluster.close();
    await killAll();
  });
  await cluster.start();
  const [a, b] = cluster.instances;
  const raiser = await a!.client();
  const sameInstance = await a!.client();
  const otherInstance = await b!.client();
  const same: number[] = [];
  const cross: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const nodeId = `bench-latency-${i}`;
    const onA = arrival(sameInstance, nodeId);
    const onB = arrival(otherInstance, nodeId);
    const started = performance.now();
    await raiser.call('node.pair.request', { nodeId });
    const [atA, atB] = await withTimeout(Promise.all([onA, onB]), 10_000, `event ${i} at both instances`);
    if (i < WARMUP) continue;
    same.push(atA - started);
    cross.push(atB - started);
  }
  const s = summarize(same, 2);
  const c = summarize(cross, 2);
  progress(`cluster-latency: same instance p50 ${s.p50} ms p99 ${s.p99} ms; other instance p50 ${c.p50} ms p99 ${c.p99} ms`);
  const extra = c.p99 - s.p99;
  const pass = extra <= TARGET_EXTRA_P99_MS;
  return {
    rounds: ROUNDS,
    sameInstanceMs: s,
    crossInstanceMs: c,
    pass,
    rows: [
      {
        measure: `cluster: event raised on A → client on B, p50/p99 of ${ROUNDS} (NATS JetStream)`,
        ours: `${c.p50} / ${c.p99} ms`,
        floor: `client on A: ${s.p50} / ${s.p99} ms`,
        ratio: `${round(c.p99 / (s.p99 || 1), 2)}×`,
        target: `p99 ≤ same-instance p99 + ${TARGET_EXTRA_P99_MS} ms`,
        pass,
      },
    ],
  };
}
