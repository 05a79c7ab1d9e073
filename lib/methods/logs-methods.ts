import type { Gateway } from '../gateway.js';
import { readLogTail } from '../logging/log-tail.js';

export interface LogsMethodsOptions {
  /** The file log's current file (it changes at midnight and when `logging.file` is reloaded). */
  file: () => string;
}

/** `logs.tail` (protocol §6.10), reading the file log the host writes. */
export function registerLogsMethods(gateway: Gateway, options: LogsMethodsOptions): void {
  gateway.registerMethod('logs.tail', (params) => readLogTail({ ...params, file: options.file() }));
}
