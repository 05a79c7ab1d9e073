import type { CAC } from 'cac';
import { stringOption } from '../argv.js';
import type { GlobalFlags } from '../cli-context.js';

export type Flags = Record<string, unknown> & GlobalFlags;

/** What a command module gets: the cac instance and helpers that read flags verbatim. */
export interface CommandKit {
  cli: CAC;
  argv: readonly string[];
  globals(flags: Flags): GlobalFlags;
  /** A string flag exactly as typed (cac would turn "0123" into 123). */
  str(flags: Flags, name: string): string | undefined;
  rpcFlags(flags: Flags): { url?: string; token?: string; password?: string; timeout?: number; json: boolean };
}

export function createCommandKit(cli: CAC, argv: readonly string[]): CommandKit {
  const str = (flags: Flags, name: string) => {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    return stringOption(argv, name, flags[camel]);
  };
  return {
    cli,
    argv,
    str,
    globals: (flags) => ({ dev: Boolean(flags.dev), profile: str(flags, 'profile') }),
    rpcFlags: (flags) => ({
      url: str(flags, 'url'),
      token: str(flags, 'token'),
      password: str(flags, 'password'),
      timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
      json: Boolean(flags.json),
    }),
  };
}

/** The connection options every RPC helper command takes. */
export function withRpcOptions<T extends { option(name: string, description: string, config?: { default?: unknown }): T }>(command: T): T {
  return command
    .option('--url <url>', 'Gateway WebSocket URL')
    .option('--token <token>', 'Gateway token')
    .option('--password <password>', 'Gateway password')
    .option('--timeout <ms>', 'Timeout in ms', { default: 10000 })
    .option('--json', 'Print JSON');
}
