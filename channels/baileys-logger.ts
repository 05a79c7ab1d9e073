import type { UserFacingSocketConfig } from '@whiskeysockets/baileys';
import { maskDigits } from '../lib/channels/redact.js';
import type { Logger } from '../lib/logger.js';

type BaileysLogger = NonNullable<UserFacingSocketConfig['logger']>;

/** Baileys talks a lot; its warnings and errors go to our debug level, numbers masked. */
export function baileysLogger(logger: Logger, subsystem: string): BaileysLogger {
  const write = (obj: unknown, msg?: string) => {
    const text = msg ?? (typeof obj === 'string' ? obj : (obj as { msg?: string; err?: { message?: string } })?.err?.message ?? '');
    if (text) logger.log('debug', subsystem, maskDigits(text));
  };
  const make = (): BaileysLogger => ({
    level: 'debug',
    child: () => make(),
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: write,
    error: write,
  });
  return make();
}
