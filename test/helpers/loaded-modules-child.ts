/**
 * A gateway runtime in a child process (run with test/helpers/module-recorder.mjs preloaded):
 * `argv[2]` the config file, `argv[3]` the state dir, `argv[4]` optionally `--allow-unconfigured`.
 * Prints `{"port":N}`, then answers each stdin line `loaded` with the JSON list of every module
 * file loaded so far.
 */
import { createInterface } from 'node:readline';
// As `openclaw gateway` does (bin/run-gateway.ts): the package's index re-exports every public class, providers included.
import { createGatewayRuntime } from '../../runtime/create-gateway-runtime.js';

const [configPath, stateDir, flag] = process.argv.slice(2);
const env = { ...process.env, OPENCLAW_DISABLE_BONJOUR: '1', HOME: stateDir };
const runtime = await createGatewayRuntime({ config: configPath!, stateDir: stateDir!, env, overrides: { port: '0', allowUnconfigured: flag === '--allow-unconfigured' } });
await runtime.start();
process.stdout.write(`${JSON.stringify({ port: runtime.port })}\n`);
createInterface({ input: process.stdin })
  .on('line', (line) => {
    // The loader hook reports from its own thread: let its messages arrive first.
    if (line.trim() === 'loaded') setTimeout(() => process.stdout.write(`${JSON.stringify([...(globalThis as { __loadedModules?: Set<string> }).__loadedModules!])}\n`), 50);
  })
  .on('close', () => {
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
