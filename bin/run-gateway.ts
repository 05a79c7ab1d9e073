import { resolvePort } from '../lib/config/index.js';
import { createGatewayRuntime } from '../runtime/create-gateway-runtime.js';
import type { RuntimeOverrides } from '../runtime/runtime-environment.js';
import type { CliContext } from './cli-context.js';
import { installCrashPolicy } from './crash-policy.js';
import { freePort } from './free-port.js';

/** `openclaw gateway` flags: the runtime's overrides plus what only a process does (`--force`). */
export interface GatewayRunFlags extends Omit<RuntimeOverrides, 'stdio'> {
  /** Stop whatever listens on the port first (needs lsof). */
  force?: boolean;
  stdio?: boolean;
}

/**
 * `openclaw gateway`: serves until SIGINT/SIGTERM (or, with --stdio, until the client leaves) and
 * resolves with the exit code; every refusal names what to change. SIGUSR1 restarts in-process
 * when authorised. An unhandled rejection or uncaught exception closes the runtime and exits 1
 * (see `installCrashPolicy`).
 */
export async function runGateway(ctx: CliContext, flags: GatewayRunFlags): Promise<number> {
  // In --stdio mode stdout carries the protocol, so every human line goes to stderr.
  const stream = flags.stdio ? process.stderr : process.stdout;
  const out = (line: string) => stream.write(line + '\n');
  const color = Boolean(stream.isTTY) && !ctx.env.NO_COLOR && !process.argv.includes('--no-color');
  // Stop handlers go in before anything is printed: a supervisor (or test) may signal as soon as it
  // sees the listening line, and with no handler yet Node dies of the signal instead of exiting 0.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const { force, ...overrides } = flags;
  if (force && !flags.stdio) {
    const { port } = resolvePort({ flag: flags.port, env: ctx.env, config: ctx.loaded.config });
    await freePort(port, (line) => out(line));
  }
  const runtime = await createGatewayRuntime({
    config: ctx.configPath,
    loaded: ctx.loaded,
    stateDir: ctx.stateDir,
    env: ctx.env,
    profile: ctx.profile,
    workspaceDir: ctx.workspaceDir,
    version: ctx.version,
    overrides,
    out,
    color,
  });
  // From here on a crash closes the runtime (port, sockets, state) before the process exits 1.
  const uninstallCrashPolicy = installCrashPolicy({ logger: runtime.logger, close: () => runtime.stop({ reason: 'gateway crashed' }) });
  const onRestartSignal = () => {
    runtime.handleRestartSignal('SIGUSR1').catch((err: unknown) => process.stderr.write(`openclaw: SIGUSR1 restart failed: ${(err as Error).message}\n`));
  };
  process.on('SIGUSR1', onRestartSignal);
  await runtime.start();
  const fatal = runtime.failed();
  const why = await Promise.race([signalled, runtime.stdioClosed().then(() => 'stdio closed'), fatal.then(() => 'fatal')]);
  process.off('SIGUSR1', onRestartSignal);
  uninstallCrashPolicy();
  if (why === 'fatal') {
    process.stderr.write(`openclaw: gateway is down: ${(await fatal).message}\n`);
    await runtime.stop({ reason: 'gateway stopping' });
    return 1;
  }
  out(`shutting down (${why})`);
  await runtime.stop({ reason: 'gateway stopping' });
  return 0;
}
