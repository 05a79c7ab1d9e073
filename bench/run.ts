/**
 * `npm run bench` — gateway performance in one run, over real sockets on 127.0.0.1, with raw `ws`
 * clients. Prints ONE JSON document on stdout; progress goes to stderr. A failing section reports
 * `{ error }` and the others still run. `npm run bench -- rpc fanout` runs a subset;
 * `npm run -s bench` keeps npm's banner off stdout. At the end, every figure with its same-run
 * floor, ratio, target and PASS/FAIL goes to stderr as a Markdown table (also `summary.table`).
 * The CLI is timed as built for dist/ (bench/cli-bundle.ts), from the current source.
 */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Cleanup, errorText, progress, withTimeout } from './log.js';
import { markdownTable, type Row } from './rows.js';
import { cliSection } from './sections/cli.js';
import { clusterFailoverSection } from './sections/cluster-failover.js';
import { clusterLatencySection } from './sections/cluster-latency.js';
import { fanoutSection } from './sections/fanout.js';
import { handshakeSection } from './sections/handshake.js';
import { idleSection } from './sections/idle.js';
import { installSizeSection } from './sections/install-size.js';
import { memorySection } from './sections/memory.js';
import { presenceSection } from './sections/presence.js';
import { rpcSection } from './sections/rpc.js';
import { scaleSection } from './sections/scale.js';
import { startupSection } from './sections/startup.js';
import { fdLimit } from './system.js';
import { agentLatencySection } from './agent-latency.js';
import { measureUiBundle } from './ui-bundle.js';

type Section = (cleanup: Cleanup) => Promise<Record<string, unknown>>;

const SECTIONS: Array<{ name: string; run: Section; timeoutMs: number }> = [
  { name: 'rpc', run: rpcSection, timeoutMs: 30_000 },
  { name: 'handshake', run: handshakeSection, timeoutMs: 40_000 },
  { name: 'fanout', run: fanoutSection, timeoutMs: 40_000 },
  { name: 'presence', run: presenceSection, timeoutMs: 240_000 },
  { name: 'memory', run: memorySection, timeoutMs: 45_000 },
  { name: 'scale', run: scaleSection, timeoutMs: 480_000 },
  { name: 'startup', run: startupSection, timeoutMs: 180_000 },
  { name: 'idle', run: idleSection, timeoutMs: 150_000 },
  { name: 'cli', run: cliSection, timeoutMs: 90_000 },
  { name: 'agentLatency', run: agentLatencySection, timeoutMs: 60_000 },
  { name: 'uiBundle', run: async () => ({ ...(await measureUiBundle()) }), timeoutMs: 60_000 },
  { name: 'installSize', run: installSizeSection, timeoutMs: 300_000 },
  { name: 'clusterFailover', run: clusterFailoverSection, timeoutMs: 240_000 },
  { name: 'clusterLatency', run: clusterLatencySection, timeoutMs: 180_000 },
];

// An 'error' event nobody listens to (e.g. an accept() EMFILE on a server) must fail the section
// that caused it, not the whole run.
let failCurrent: ((err: Error) => void) | undefined;
const crashes: string[] = [];
process.on('uncaughtException', (err) => {
  crashes.push(errorText(err));
  if (failCurrent) failCurrent(err);
  else progress(`uncaught exception outside a section: ${errorText(err)}`);
});
process.on('unhandledRejection', (reason) => {
  progress(`unhandled rejection: ${errorText(reason)}`);
});

async function runSection(name: string, run: Section, timeoutMs: number): Promise<Record<string, unknown>> {
  const cleanup = new Cleanup();
  const t0 = performance.now();
  progress(`${name}: start`);
  let result: Record<string, unknown>;
  try {
    const crashed = new Promise<never>((_, reject) => {
      failCurrent = (err) => reject(new Error(`uncaught exception during ${name}: ${errorText(err)}`));
    });
    result = await withTimeout(Promise.race([run(cleanup), crashed]), timeoutMs, `section ${name}`);
  } catch (err) {
    result = { error: errorText(err) };
    progress(`${name}: FAILED — ${errorText(err)}`);
  } finally {
    failCurrent = undefined;
  }
  const problems = await cleanup.run();
  if (problems.length) result.cleanupProblems = problems;
  result.sectionMs = Math.round(performance.now() - t0);
  progress(`${name}: done in ${result.sectionMs} ms${'pass' in result ? ` (pass: ${String(result.pass)})` : ''}`);
  return result;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
  if (unknown.length) {
    process.stderr.write(`unknown section(s): ${unknown.join(', ')}; choose from ${SECTIONS.map((s) => s.name).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const cpuList = cpus();
  const doc: Record<string, unknown> = {
    node: process.version,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim(),
    platform: `${platform()} ${release()}`,
    arch: process.arch,
    totalMemBytes: totalmem(),
    fdLimit: fdLimit(),
    date: new Date().toISOString(),
    loadAvgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
  for (const s of SECTIONS) {
    if (wanted.length && !wanted.includes(s.name)) continue;
    doc[s.name] = await runSection(s.name, s.run, s.timeoutMs);
  }
  const ran = SECTIONS.filter((s) => s.name in doc).map((s) => doc[s.name] as Record<string, unknown>);
  doc.summary = {
    pass: Object.fromEntries(SECTIONS.filter((s) => s.name in doc).map((s) => [s.name, (doc[s.name] as { pass?: boolean }).pass ?? false])),
    errors: ran.filter((r) => 'error' in r).length,
    ...(crashes.length ? { uncaughtExceptions: crashes } : {}),
    totalMs: Math.round(performance.now() - started),
    loadAvgAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
  };
  const rows = ran.flatMap((r) => (r.rows as Row[] | undefined) ?? []);
  const table = markdownTable(rows);
  (doc.summary as Record<string, unknown>).table = table;
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  process.stderr.write(`\n${table}\n`);
  for (const s of SECTIONS) {
    const r = doc[s.name] as { error?: string } | undefined;
    if (r?.error) process.stderr.write(`${s.name}: ERROR ${r.error}\n`);
  }

  // Everything was closed by the sections; if a handle still keeps the loop alive, say which.
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles?: () => object[] })._getActiveHandles?.() ?? [];
    progress(`warning: still alive 3 s after the report; open handles: ${handles.map((h) => h.constructor.name).join(', ') || 'unknown'}`);
    process.exit(process.exitCode ?? 0);
  }, 3_000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${errorText(err)}\n`);
  process.exitCode = 1;
});
