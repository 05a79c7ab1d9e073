/**
 * The client side of the stdio transport (Node only): {@link spawnGateway} starts
 * `openclaw gateway --stdio` as a child process, and {@link createStdioSocket} turns any
 * readable/writable pair into a socket for `new GatewayClient({ createSocket })`.
 *
 * @module clawgate/client/stdio
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { WebSocketLike } from '../lib/client/gateway-client.js';
import { NdjsonDecoder } from './ndjson.js';

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export interface StdioSocketOptions {
  /** What the gateway writes: one JSON frame per line (a child's stdout). */
  input: Readable;
  /** Where frames go, one per line (a child's stdin); ended when the client hangs up. */
  output: Writable;
  /** Longest accepted inbound line in bytes; a longer one closes the socket with 1009. Default 25 MiB. */
  maxLineBytes?: number;
}

/**
 * The client side of the stdio transport: a WebSocket-shaped socket over a readable/writable
 * pair, for `GatewayClient({ createSocket })`. `send` writes one line; each line read is one
 * message; the end of the input is the close. Closing it ends the output, which is how a stdio
 * client hangs up.
 */
export function createStdioSocket(options: StdioSocketOptions): WebSocketLike {
  const { input, output } = options;
  let state = OPEN;
  const socket: WebSocketLike = {
    get readyState() {
      return state;
    },
    send(data) {
      if (state !== OPEN) throw new Error('stdio socket is not open');
      output.write(data.endsWith('\n') ? data : `${data}\n`);
    },
    close() {
      if (state !== OPEN) return;
      state = CLOSING;
      output.end();
    },
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  const closed = (code: number, reason: string) => {
    if (state === CLOSED) return;
    state = CLOSED;
    input.off('data', onData);
    socket.onclose?.({ code, reason });
  };
  const decoder = new NdjsonDecoder({
    maxLineBytes: options.maxLineBytes ?? 25 * 1024 * 1024,
    onLine: (line) => {
      if (state !== CLOSED) socket.onmessage?.({ data: line });
    },
    onOversize: () => {
      closed(1009, 'message too big');
      if (!output.writableEnded) output.end();
    },
  });
  const onData = (chunk: Buffer | string) => decoder.push(chunk);
  input.on('data', onData);
  input.once('end', () => {
    decoder.end();
    closed(1000, '');
  });
  input.once('close', () => closed(1006, 'stdio closed'));
  input.on('error', (error) => socket.onerror?.({ error }));
  // EPIPE when the other side is gone: reported, and the close follows from the input side.
  output.on('error', (error) => socket.onerror?.({ error }));
  return socket;
}

export interface SpawnGatewayOptions {
  /** Extra `openclaw gateway --stdio` arguments (`--allow-unconfigured`, `--token`, ...). */
  args?: readonly string[];
  /** The child's environment; default `process.env`. Set OPENCLAW_STATE_DIR to keep its state apart. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A gateway child serving one client over its stdin/stdout. */
export interface SpawnedGateway {
  readonly child: ChildProcessWithoutNullStreams;
  /** For `GatewayClient({ createSocket })`: a socket over the child's pipes (one per child). */
  createSocket(): WebSocketLike;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** What the child logged so far (its logs go to stderr; stdout is the protocol). */
  stderr(): string;
}

/**
 * Starts `openclaw gateway --stdio` from this package as a child process. Hanging up the client
 * (ending the child's stdin) makes the child shut down with exit code 0.
 */
export function spawnGateway(options: SpawnGatewayOptions = {}): SpawnedGateway {
  const { command, args: baseArgs } = openclawCommand();
  const child = spawn(command, [...baseArgs, 'gateway', '--stdio', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let socket: WebSocketLike | undefined;
  return {
    child,
    exited,
    stderr: () => stderr,
    createSocket() {
      if (socket) throw new Error('a stdio gateway serves one connection; spawn another for a second client');
      socket = createStdioSocket({ input: child.stdout, output: child.stdin });
      return socket;
    },
  };
}

/** The CLI next to this module: built (`dist/bin/openclaw.js`) or, in a source checkout, through tsx. */
function openclawCommand(): { command: string; args: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, '..', 'bin', 'openclaw.js');
  if (existsSync(built)) return { command: process.execPath, args: [built] };
  // Resolved from here, so the child finds tsx whatever its working directory.
  return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), join(here, '..', 'bin', 'openclaw.ts')] };
}
