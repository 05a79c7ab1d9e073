/**
 * The gateway under soak: the public runtime (`createGatewayRuntime`, what `openclaw gateway` runs)
 * from the config file in argv[2], state in argv[3], listening on 127.0.0.1:0. Prints
 * `{"port":N}` once listening. stdin commands, one per line, each answered with one JSON line:
 *   sample → memory after a full GC (run with --expose-gc), open fds, event-loop delay since the
 *            last sample (p99 and max, ms)
 *   exit   → stops the runtime and exits (stdin EOF does the same)
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createGatewayRuntime } from '../runtime/index.js';
import { errorText } from './log.js';

const [configPath, stateDir] = process.argv.slice(2);
if (!configPath || !stateDir) throw new Error('usage: soak-child <config> <stateDir>');

const runtime = await createGatewayRuntime({ config: configPath, stateDir, overrides: { port: '0' } });
await runtime.start();
process.stdout.write(`${JSON.stringify({ port: runtime.port })}\n`);

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  runtime.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`soak-child: stopping failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'sample') {
    // Read before the forced GC below, which blocks the loop itself, and reset after it.
    const loop = { loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6 };
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    const sample = { rss: m.rss, heapUsed: m.heapUsed, external: m.external, fds: openFds(), ...loop };
    delay.reset();
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  } else if (cmd === 'exit') {
    stop();
  }
});
lines.on('close', stop);
