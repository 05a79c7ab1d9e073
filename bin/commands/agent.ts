import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../lib/errors.js';
import type { AgentFinal, AgentParams } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import { printJson, withRpcSession } from '../rpc-action.js';
import type { CommandKit, Flags } from './command-kit.js';

export interface AgentCommandFlags {
  message?: string;
  to?: string;
  sessionId?: string;
  agent?: string;
  thinking?: string;
  channel?: string;
  deliver?: boolean;
  replyTo?: string;
  replyChannel?: string;
  replyAccount?: string;
  /** Run deadline in seconds (default 600). */
  timeout?: number;
  json: boolean;
  url?: string;
  token?: string;
  password?: string;
}

const DEFAULT_TIMEOUT_S = 600;

/** `openclaw agent --message <text> [--to] [--session-id] [--agent] [--thinking] [--timeout s] [--json]`. */
export function registerAgentCommands(kit: CommandKit): void {
  const { cli, argv, str, globals } = kit;
  // cac turns "+15551234567" into a number; short aliases are read back verbatim too.
  const raw = (flags: Flags, name: string, short?: string) => {
    if (short) {
      const i = argv.lastIndexOf(`-${short}`);
      if (i !== -1 && argv[i + 1] !== undefined && !argv.slice(0, i).includes('--')) return argv[i + 1];
    }
    return str(flags, name);
  };
  cli
    .command('agent', 'Run one agent turn on the gateway and print the reply as it streams')
    .option('-m, --message <text>', 'Message for the agent (required)')
    .option('-t, --to <target>', 'Recipient/peer the session is derived from (E.164 for WhatsApp)')
    .option('--session-id <id>', 'Use (or start) this session id')
    .option('--agent <id>', 'Agent id (default: the default agent)')
    .option('--thinking <level>', 'off | minimal | low | medium | high')
    .option('--channel <channel>', 'Channel of the conversation (whatsapp, telegram, ...)')
    .option('--deliver', 'Send the reply to --to (or --reply-to) through the channel')
    .option('--reply-to <target>', 'Deliver the reply to this recipient instead of --to')
    .option('--reply-channel <channel>', 'Deliver the reply through this channel')
    .option('--reply-account <id>', 'Deliver the reply from this channel account')
    .option('--timeout <seconds>', `Run deadline in seconds (default ${DEFAULT_TIMEOUT_S})`)
    .option('--url <url>', 'Gateway WebSocket URL')
    .option('--token <token>', 'Gateway token')
    .option('--password <password>', 'Gateway password')
    .option('--json', 'Print the final response payload as JSON')
    .action(async (flags: Flags) => {
      const url = str(flags, 'url');
      const ctx = await loadClientContext(globals(flags), url);
      const timeout = str(flags, 'timeout');
      return runAgent(ctx, {
        message: raw(flags, 'message', 'm'),
        to: raw(flags, 'to', 't'),
        sessionId: str(flags, 'session-id'),
        agent: str(flags, 'agent'),
        thinking: str(flags, 'thinking'),
        channel: str(flags, 'channel'),
        deliver: Boolean(flags.deliver),
        replyTo: raw(flags, 'reply-to'),
        replyChannel: str(flags, 'reply-channel'),
        replyAccount: str(flags, 'reply-account'),
        timeout: timeout === undefined ? undefined : Number(timeout),
        json: Boolean(flags.json),
        url,
        token: str(flags, 'token'),
        password: str(flags, 'password'),
      });
    });
}

/**
 * Sends `agent` and waits for its final `res` (ignoring the accepted ack), printing the reply from
 * the run's `agent` events as it streams. Exit code 0 on success; failures throw with the
 * gateway's message.
 */
export async function runAgent(ctx: CliContext, flags: AgentCommandFlags): Promise<number> {
  const message = flags.message;
  if (!message?.trim()) throw new GatewayError('INVALID_REQUEST', 'openclaw agent needs --message <text>');
  if (!flags.to && !flags.sessionId && !flags.agent) {
    throw new GatewayError('INVALID_REQUEST', 'openclaw agent needs one of --to <target>, --session-id <id> or --agent <id>');
  }
  const timeoutS = flags.timeout ?? DEFAULT_TIMEOUT_S;
  if (!Number.isInteger(timeoutS) || timeoutS < 0) throw new GatewayError('INVALID_REQUEST', `--timeout must be a whole number of seconds, got ${String(flags.timeout)}`);
  const runId = randomUUID();
  const params: AgentParams = { message, idempotencyKey: runId, timeout: timeoutS };
  if (flags.to) params.to = flags.to;
  if (flags.sessionId) params.sessionId = flags.sessionId;
  if (flags.agent) params.agentId = flags.agent;
  if (flags.thinking) params.thinking = flags.thinking;
  if (flags.channel) params.channel = flags.channel;
  if (flags.deliver) params.deliver = true;
  if (flags.replyTo) params.replyTo = flags.replyTo;
  if (flags.replyChannel) params.replyChannel = flags.replyChannel;
  if (flags.replyAccount) params.replyAccountId = flags.replyAccount;

  return withRpcSession(ctx, { url: flags.url, token: flags.token, password: flags.password }, async ({ client }) => {
    let printed = '';
    let current = '';
    const stop = client.on('agent', (event) => {
      if (flags.json || event.runId !== runId || event.stream !== 'assistant') return;
      const delta = typeof event.data.delta === 'string' ? event.data.delta : '';
      const text = typeof event.data.text === 'string' ? event.data.text : '';
      if (!delta) return;
      // A second assistant message (after a tool call) starts on a new paragraph.
      const chunk = printed && text === delta && current ? `\n\n${delta}` : delta;
      current = text;
      printed += chunk;
      process.stdout.write(chunk);
    });
    try {
      const final = (await client.call('agent', params, {
        expectFinal: true,
        timeoutMs: Math.max(10_000, (timeoutS + 30) * 1000),
      })) as AgentFinal;
      if (flags.json) {
        printJson(final);
        return 0;
      }
      const reply = final.result.payloads.map((p) => p.text).filter(Boolean).join('\n\n');
      // Events can be missed (slow terminal, reconnect); the final result is authoritative.
      if (!printed) process.stdout.write(reply || '(no reply)');
      else if (reply && !printed.endsWith(reply.slice(-Math.min(reply.length, 200)))) process.stdout.write(`\n\n${reply}`);
      process.stdout.write('\n');
      if (final.result.meta.aborted) process.stderr.write('openclaw: the run was aborted\n');
      return 0;
    } catch (err) {
      if (printed) process.stdout.write('\n');
      throw err;
    } finally {
      stop();
    }
  });
}
