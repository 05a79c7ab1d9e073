/**
 * The WebSocket transport: {@link WebSocketTransport} accepts WebSocket peers (through `ws`) on
 * its own port, on a server the host owns, or from upgrades the host routes to it, and hands each
 * to a Gateway as a `TransportConnection`.
 *
 * @module clawgate/transports/ws
 */
import { Buffer } from 'node:buffer';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type * as Ws from 'ws';
import type { RawData, WebSocket, WebSocketServer as WsServer } from 'ws';
import { GatewayError } from '../lib/errors.js';
import { isLocalPeer, resolveClientIp } from '../lib/is-local-peer.js';
import { truncateUtf8 } from '../lib/truncate-utf8.js';
import { DEFAULT_POLICY } from '../lib/protocol/index.js';
import type { ConnectionSink, PeerInfo, TransportConnection } from '../lib/transport.js';

// ws is CommonJS. Imported from ESM, Node 20 hands each of its files to the ESM loader's CommonJS
// translator (export detection, loader hooks), which put ~11 ms on every gateway's start;
// required, it loads through the plain CommonJS loader (bench/README.md, start to listening).
const { WebSocketServer } = createRequire(import.meta.url)('ws') as typeof Ws;

export interface WebSocketTransportOptions {
  sink: ConnectionSink;
  /** Create and own an HTTP server on this port (0 picks one); start it with `listen()`. */
  port?: number;
  /**
   * Addresses to bind in `port` mode. The first is bound with `port`, the rest on the port it
   * got; later hosts the machine lacks (no IPv6) are skipped. Default `["127.0.0.1", "::1"]`.
   */
  host?: string | string[];
  /** Attach to the `upgrade` event of a server the host owns and listens on. */
  server?: Server | HttpsServer;
  /** Attach to nothing; the host routes upgrades to `handleUpgrade()`. */
  noServer?: boolean;
  /**
   * Handle only upgrades for this pathname. In `server` mode others are left for other listeners;
   * otherwise they are refused with 404.
   */
  path?: string;
  /** Largest inbound frame in bytes; a larger one closes the connection with 1009. Default 512 KiB. */
  maxPayload?: number;
  /** Proxy IPs whose forwarding headers are believed (docs/protocol.md, Local peers). */
  trustedProxies?: string[];
  /** Refuse the upgrade with 403 when this returns false (or throws). */
  verifyOrigin?: (origin: string | undefined, req: IncomingMessage) => boolean;
  /** Plain HTTP requests on the server created in `port` mode. Default: 404 `Not Found`. */
  requestHandler?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The port the owned server got and the hosts it is bound on. */
type ListenAddress = { port: number; hosts: string[] };

const DEFAULT_HOSTS = ['127.0.0.1', '::1'];
/** Errors that mean "this machine has no such address", not "someone else has the port". */
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);
/** RFC 6455 caps a close reason at 123 bytes (125-byte control frame minus the code). */
const MAX_CLOSE_REASON_BYTES = 123;
const FLUSH_CORKED_BYTES = 64 * 1024;

/**
 * Accepts WebSocket peers and hands each to the sink as a TransportConnection. Follows ws's
 * three modes: exactly one of `port`, `server` or `noServer`.
 */
export class WebSocketTransport {
  readonly #sink: ConnectionSink;
  readonly #wss: WsServer;
  readonly #port?: number;
  readonly #hosts: string[];
  readonly #server?: Server | HttpsServer;
  readonly #path?: string;
  readonly #trustedProxies: string[];
  readonly #verifyOrigin?: (origin: string | undefined, req: IncomingMessage) => boolean;
  readonly #requestHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Open connections by socket: ws calls the listeners below with the socket as `this`. */
  readonly #connections = new Map<WebSocket, WsConnection>();
  /**
   * One pair of listeners for every socket of this transport: closures per socket would cost
   * each idle connection their bytes.
   */
  readonly #listeners: SocketListeners;
  #ownedServers: Server[] = [];
  #listening?: Promise<ListenAddress>;
  #address: ListenAddress | null = null;
  #closing?: Promise<void>;
  #refusing = false;

  constructor(options: WebSocketTransportOptions) {
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    this.#sink = options.sink;
    this.#port = options.port;
    this.#hosts = options.host === undefined ? DEFAULT_HOSTS : [options.host].flat();
    this.#server = options.server;
    this.#path = options.path;
    this.#trustedProxies = options.trustedProxies ?? [];
    this.#verifyOrigin = options.verifyOrigin;
    this.#requestHandler = options.requestHandler ?? notFound;
    // ws runs detached so that path routing, origin checks and server ownership stay ours.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? DEFAULT_POLICY.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#server?.on('upgrade', this.#onSharedUpgrade);
    const live = this.#connections;
    this.#listeners = {
      message(this: WebSocket, data: RawData) {
        live.get(this)?.onmessage?.(rawToText(data));
      },
      close(this: WebSocket, code: number, reason: Buffer) {
        const connection = live.get(this);
        if (!connection) return;
        live.delete(this);
        connection.onclose?.(code, reason.toString('utf8'));
      },
    };
  }

  /** Binds the server this transport owns (`port` mode only). Calling it again returns the same binding. */
  listen(): Promise<ListenAddress> {
    const port = this.#port;
    if (port === undefined) return Promise.reject(new Error('listen() needs the "port" option'));
    if (this.#closing) return Promise.reject(new GatewayError('CLOSED', 'WebSocketTransport is closed'));
    this.#listening ??= this.#bind(port);
    return this.#listening;
  }

  /** Where the owned server listens, or null before `listen()` resolves and in other modes. */
  address(): ListenAddress | null {
    return this.#address;
  }

  /**
   * From now on new WebSocket peers are refused with 503 while the connected ones stay: the
   * start of a graceful drain. Plain HTTP requests are still served.
   */
  refuseNew(): void {
    this.#refusing = true;
  }

  /** Takes over an upgrade request the host routed here (any mode; `noServer` relies on it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing || this.#refusing) return refuseUpgrade(socket, 503);
    if (!this.#matchesPath(req)) return refuseUpgrade(socket, 404);
    if (!this.#originAllowed(req)) return refuseUpgrade(socket, 403);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req, socket));
  }

  /** Terminates every connection, detaches from a shared server, closes an owned one. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#server?.off('upgrade', this.#onSharedUpgrade);
    this.#wss.close();
    const closing = [...this.#connections.values()].map((connection) => connection.terminate());
    // A bind still in flight finishes first, so the servers it opens are closed too.
    await this.#listening?.catch(() => {});
    await Promise.all([...closing, ...this.#ownedServers.map(closeServer)]);
    this.#address = null;
  }

  async #bind(port: number): Promise<ListenAddress> {
    let boundPort = port;
    const hosts: string[] = [];
    for (const [index, host] of this.#hosts.entries()) {
      const server = createServer(this.#requestHandler);
      server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
      try {
        await listenOn(server, boundPort, host);
      } catch (err) {
        if (index > 0 && MISSING_ADDRESS.has((err as NodeJS.ErrnoException).code ?? '')) continue;
        await Promise.all(this.#ownedServers.map(closeServer));
        this.#ownedServers = [];
        throw bindError(err, host, boundPort);
      }
      if (index === 0) boundPort = (server.address() as AddressInfo).port;
      this.#ownedServers.push(server);
      hosts.push(host);
    }
    this.#address = { port: boundPort, hosts };
    return this.#address;
  }

  /** On a shared server another listener may own other paths, so those are left untouched. */
  readonly #onSharedUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.#matchesPath(req)) this.handleUpgrade(req, socket, head);
  };

  #matchesPath(req: IncomingMessage): boolean {
    if (this.#path === undefined) return true;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.#path;
  }

  #originAllowed(req: IncomingMessage): boolean {
    if (!this.#verifyOrigin) return true;
    try {
      return this.#verifyOrigin(req.headers.origin, req);
    } catch {
      // The origin is attacker-controlled; a verifier that chokes on it must not take the process down.
      return false;
    }
  }

  #accept(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    const request = { remoteAddress: req.socket.remoteAddress, headers: req.headers, trustedProxies: this.#trustedProxies };
    const peer: PeerInfo = {
      transport: 'ws',
      remoteAddress: resolveClientIp(request),
      local: isLocalPeer(request),
      origin: req.headers.origin,
      userAgent: req.headers['user-agent'],
    };
    const connection = new WsConnection(ws, peer, socket);
    this.#connections.set(ws, connection);
    ws.on('message', this.#listeners.message);
    // ws follows every 'error' with 'close', which is what the core hears about; without a
    // listener the error would be thrown and take the process down.
    ws.on('error', ignore);
    // ws emits 'close' once per socket.
    ws.on('close', this.#listeners.close);
    // ws parses a chunk and emits its messages in its own 'data' listener; with ours on either
    // side, the answers to all the requests of one chunk leave in one write, not one each.
    socket.prependListener('data', corkRead);
    socket.on('data', uncorkRead);
    this.#sink.accept(connection);
  }
}

/**
 * The last text sent and its UTF-8 bytes. A broadcast sends one text to every connection in a
 * row; as bytes, ws neither measures nor encodes it again for each of them.
 */
let lastText: string | undefined;
let lastBytes: Buffer | undefined;

function utf8(text: string): Buffer {
  if (text !== lastText || lastBytes === undefined) {
    lastBytes = Buffer.from(text, 'utf8');
    lastText = text;
  }
  return lastBytes;
}

interface SocketListeners {
  message(this: WebSocket, data: RawData): void;
  close(this: WebSocket, code: number, reason: Buffer): void;
}

/**
 * Idle connections are most of what a busy gateway holds, so each costs only what it must: its
 * transport's shared listeners, and no closure, promise or timer of its own.
 */
class WsConnection implements TransportConnection {
  readonly peer: PeerInfo;
  onmessage?: (data: string) => void;
  onclose?: (code: number, reason: string) => void;
  readonly #ws: WebSocket;
  readonly #socket: Duplex;

  constructor(ws: WebSocket, peer: PeerInfo, socket: Duplex) {
    this.#ws = ws;
    this.peer = peer;
    this.#socket = socket;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(data: string): void {
    // ws drops (rather than throws) a send once the socket is closing or closed.
    this.#ws.send(utf8(data), { binary: false });
    // Answers to one read wait corked for one write (see #accept); past this much they go out now,
    // so a pipelining peer that reads fine never looks like one that stopped reading.
    const socket = this.#socket;
    if (socket.writableCorked > 0 && socket.writableLength >= FLUSH_CORKED_BYTES) {
      socket.uncork();
      socket.cork();
    }
  }

  close(code: number, reason = ''): void {
    try {
      this.#ws.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
    } catch {
      // ws rejects codes that may not appear on the wire (1005, 1006, …); those mean "just drop it".
      this.#ws.terminate();
    }
  }

  /** Resolves once ws has emitted 'close' (and `onclose` has run). */
  terminate(): Promise<void> {
    const ws = this.#ws;
    // ws sets CLOSED right before it emits 'close'.
    if (ws.readyState === ws.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.terminate();
    return closed;
  }
}

function ignore(): void {}

function corkRead(this: Duplex): void {
  this.cork();
}

function uncorkRead(this: Duplex): void {
  this.uncork();
}

/** With ws's default `binaryType` ("nodebuffer") every message, text or binary, is one Buffer. */
function rawToText(data: RawData): string {
  return (data as Buffer).toString('utf8');
}


function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found');
}

function refuseUpgrade(socket: Duplex, status: number): void {
  const body = STATUS_CODES[status] ?? '';
  // The HTTP server stops watching a socket once it emits 'upgrade'; an unwatched error would crash us.
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive HTTP connections would otherwise hold close() open.
    server.closeAllConnections();
  });
}

function bindError(err: unknown, host: string, port: number): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err;
  const where = host.includes(':') ? `[${host}]` : host;
  return new GatewayError('ADDRESS_IN_USE', `another gateway instance is already listening on ws://${where}:${port}`, {
    cause: err,
  });
}
