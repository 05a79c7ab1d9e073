import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Gateway } from '../lib/index.js';
import { WebSocketTransport } from '../transports/ws.js';
import { BENCH_TOKEN } from './ws-peer.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EchoServer extends RunningServer {
  readonly wss: WebSocketServer;
  /** Server-side sockets, for the baseline fan-out. */
  readonly clients: Set<WebSocket>;
}

/** The floor: a bare `ws` server that echoes each frame, configured like the gateway's (no deflate). */
export async function startEchoServer(): Promise<EchoServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('error', () => {});
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    wss,
    clients: wss.clients,
    port,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

export interface InProcessGateway extends RunningServer {
  gateway: Gateway;
  transport: WebSocketTransport;
  /** Connections past the handshake right now. */
  liveSessions(): number;
}

/**
 * Counts the gateway's connections past the handshake through its public lifecycle events
 * (`client-disconnected` only follows a `client-connected`). Call before `start()`.
 */
export function sessionCounter(gateway: Gateway): () => number {
  let live = 0;
  gateway.on('client-connected', () => live++);
  gateway.on('client-disconnected', () => live--);
  return () => live;
}

/** Gateway + WebSocketTransport in this process, through the public API, on 127.0.0.1:0. */
export async function startGateway(): Promise<InProcessGateway> {
  const gateway = new Gateway({ auth: { mode: 'token', token: BENCH_TOKEN } });
  const liveSessions = sessionCounter(gateway);
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  let port: number;
  try {
    ({ port } = await transport.listen());
  } catch (err) {
    await gateway.close();
    throw err;
  }
  return {
    gateway,
    transport,
    liveSessions,
    port,
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      await gateway.close({ reason: 'bench done' });
      await transport.close();
    },
  };
}
