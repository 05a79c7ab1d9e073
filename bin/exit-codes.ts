import { GatewayError } from '../lib/errors.js';

/**
 * sysexits.h `EX_CONFIG`: the config (file, flags or environment) is wrong, so starting again
 * cannot help. Service definitions tell their supervisor not to restart on it.
 */
export const EXIT_CONFIG = 78;

/** The exit code of a command that failed with `err`: {@link EXIT_CONFIG} for CONFIG_INVALID, else 1. */
export function exitCodeFor(err: unknown): number {
  return err instanceof GatewayError && err.code === 'CONFIG_INVALID' ? EXIT_CONFIG : 1;
}
