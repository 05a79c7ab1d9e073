import type { Channel, InboundMessage } from '../../lib/channel.js';
import type { Logger, LogLevel } from '../../lib/logger.js';
import type { ChannelAccountSnapshot } from '../../lib/protocol/generated/types.js';

/** Shared bits of the channel tests: a recording logger and waits on channel events. */

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>) {
      lines.push(`${level} [${subsystem}] ${message}${meta ? ' ' + JSON.stringify(meta) : ''}`);
    },
  };
}

/** Resolves with the first status (current or announced later) that matches. */
export function waitForStatus(
  channel: Channel,
  predicate: (s: ChannelAccountSnapshot) => boolean,
  timeoutMs = 5000,
): Promise<ChannelAccountSnapshot> {
  return new Promise((resolve, reject) => {
    const now = channel.status();
    if (predicate(now)) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`status never matched within ${timeoutMs} ms; last: ${JSON.stringify(channel.status())}`));
    }, timeoutMs);
    const off = channel.on('status', (s) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** Collects inbound messages; `next()` waits for the following one. */
export function inbox(channel: Channel) {
  const messages: InboundMessage[] = [];
  const waiters: (() => void)[] = [];
  channel.on('message', (m) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  let read = 0;
  return {
    messages,
    async next(timeoutMs = 5000) {
      if (read >= messages.length) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no inbound message within ${timeoutMs} ms`)), timeoutMs);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages[read++]!;
    },
  };
}
