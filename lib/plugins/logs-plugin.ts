import { readLogTail } from '../logging/log-tail.js';
import type { GatewayPlugin } from '../plugin.js';

export interface LogsPluginOptions {
  /** The file log's current file (it changes at midnight and when `logging.file` is reloaded). */
  file: () => string;
  /** The logging config's redaction in force (it changes on reload). */
  redact?: (line: string) => string;
}

/** `logs.tail`, reading the file log the host writes. */
export function logsPlugin(options: LogsPluginOptions): GatewayPlugin {
  return {
    name: 'logs',
    setup(gateway) {
      gateway.registerMethod('logs.tail', (params) => readLogTail({ ...params, file: options.file(), redact: options.redact }));
    },
  };
}
