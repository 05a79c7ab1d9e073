import { performance } from 'node:perf_hooks';
import type { Cleanup } from '../log.js';
import { progress, sleep } from '../log.js';
import { row } from '../rows.js';
import { startGateway } from '../servers.js';
import { median, ratio, round } from '../stats.js';
import { connectGateway, openMany, type Peer } from '../ws-peer.js';

/** 1,000 clients: this many presence-tracked UIs, the rest CLI clients that only listen. */
const UI_CLIENTS = 200;
const CLIENTS = 1_000;
const JOINS = 5;
/** A join is over when every client heard of it, or when nothing arrived for this long. */
const QUIET_MS = 500;
/** The connect capability for presence deltas (schema: ConnectParams.caps, hello-ok snapshot.presenceKeys). */
const DELTA_CAP = 'presence-deltas';

interface Mode {
  clientsStillOpen: number;
  /** Median over the joins of how many of the other clients heard of the joiner. */
  heardByP50: number;
  joinP50Ms: number;
  joinMaxMs: number;
  bytesToOthersPerJoin: number;
  helloOkBytes: number;
  presenceEventsSeen: string[];
  buildUpMs: number;
}

/**
 * The cost of one more UI joining a gateway with 1,000 connected clients (200 of them UIs in the
 * presence list): connect → hello-ok → every other client has heard of it (a frame naming its
 * instanceId), and the bytes all the others received for it.
 */
async function measureMode(caps: string[] | undefined, cleanup: Cleanup): Promise<Mode> {
  const gw = await startGateway();
  cleanup.add(`presence gateway ${caps ? 'deltas' : 'full'}`, () => gw.close());
  const peers: Peer[] = [];
  cleanup.add('presence clients', () => Promise.all(peers.map((p) => p.terminate())));
  const t0 = performance.now();
  const ui = await openMany(UI_CLIENTS, 10, (i) => connectGateway(gw.url, { mode: 'ui', instanceId: `bench-ui-${i}`, caps }));
  if (ui.failed) throw new Error(`ui clients: ${ui.firstError?.message}`);
  peers.push(...ui.ok.map((h) => h.peer));
  const cli = await openMany(CLIENTS - UI_CLIENTS, 50, () => connectGateway(gw.url, { mode: 'cli', caps }));
  if (cli.failed) throw new Error(`cli clients: ${cli.firstError?.message}`);
  peers.push(...cli.ok.map((h) => h.peer));
  const buildUpMs = round(performance.now() - t0, 0);
  await sleep(500);

  const events = new Set<string>();
  let marker = Buffer.alloc(0);
  let bytes = 0;
  let heard = 0;
  let lastHeardAt = 0;
  let lastFrameAt = 0;
  for (const peer of peers) {
    peer.onFrame = (data) => {
      bytes += data.length;
      lastFrameAt = performance.now();
      const event = /"event":"(presence[^"]*)"/.exec(data.toString('utf8', 0, 80))?.[1];
      if (event) events.add(event);
      if (marker.length && data.includes(marker)) {
        heard++;
        lastHeardAt = lastFrameAt;
      }
    };
  }
  const joinMs: number[] = [];
  const perJoinBytes: number[] = [];
  const heardBy: number[] = [];
  let helloOkBytes = 0;
  for (let j = 0; j < JOINS; j++) {
    const id = `bench-join-${j}-${Date.now()}`;
    marker = Buffer.from(id);
    heard = 0;
    bytes = 0;
    const start = performance.now();
    lastFrameAt = start;
    const joined = await connectGateway(gw.url, { mode: 'ui', instanceId: id, caps });
    // Slow consumers may be skipped or closed by the gateway, so "everyone heard" may never come.
    while (heard < peers.length && performance.now() - lastFrameAt < QUIET_MS && performance.now() - start < 30_000) await sleep(5);
    joinMs.push((heard ? lastHeardAt : performance.now()) - start);
    perJoinBytes.push(bytes);
    heardBy.push(heard);
    helloOkBytes = joined.helloBytes;
    joined.peer.onFrame = () => {};
    peers.push(joined.peer);
    await sleep(200);
  }
  const open = peers.filter((p) => !p.isClosed).length;
  await Promise.all(peers.splice(0).map((p) => p.terminate()));
  await gw.close();
  return {
    heardByP50: median(heardBy),
    clientsStillOpen: open,
    joinP50Ms: round(median(joinMs), 1),
    joinMaxMs: round(Math.max(...joinMs), 1),
    bytesToOthersPerJoin: round(median(perJoinBytes), 0),
    helloOkBytes,
    presenceEventsSeen: [...events].sort(),
    buildUpMs,
  };
}

export async function presenceSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  progress(`presence: ${CLIENTS} clients (${UI_CLIENTS} UIs), ${JOINS} more UIs join — full presence lists`);
  const full = await measureMode(undefined, cleanup);
  progress(`presence: the same with caps ["${DELTA_CAP}"] on every client`);
  const deltas = await measureMode([DELTA_CAP], cleanup);
  const deltaSupported = deltas.presenceEventsSeen.some((e) => e !== 'presence');
  const bytesRatio = ratio(deltas.bytesToOthersPerJoin, full.bytesToOthersPerJoin);
  const timeRatio = ratio(deltas.joinP50Ms, full.joinP50Ms);
  return {
    clients: CLIENTS,
    uiClients: UI_CLIENTS,
    joins: JOINS,
    full,
    deltas,
    deltaSupported,
    bytesRatio,
    timeRatio,
    note: 'in-process gateway and clients; join = connect start → the last of the other clients received a frame naming the joiner (or nothing arrived for 500 ms); heardByP50 = how many did; bytes = all frames the others received meanwhile (median per join)',
    target: 'presence deltas cut the bytes of a join (no number set by the issue)',
    pass: deltaSupported && bytesRatio < 1,
    rows: [
      row('UI join at 1,000 clients, full lists', `${full.joinP50Ms} ms, ${round(full.bytesToOthersPerJoin / 1e6, 2)} MB to others`, '—', '—', 'before deltas', null),
      row(
        `UI join at 1,000 clients, \`caps: ["${DELTA_CAP}"]\``,
        `${deltas.joinP50Ms} ms, ${round(deltas.bytesToOthersPerJoin / 1e6, 3)} MB to others`,
        `${full.joinP50Ms} ms, ${round(full.bytesToOthersPerJoin / 1e6, 2)} MB (full lists)`,
        deltaSupported ? `${timeRatio}× time, ${bytesRatio}× bytes` : 'deltas not sent',
        'fewer bytes than full lists',
        deltaSupported && bytesRatio < 1,
      ),
    ],
  };
}
