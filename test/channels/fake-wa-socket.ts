import { EventEmitter } from 'node:events';
import type { AnyMessageContent, BinaryNode, MiscMessageGenerationOptions, WAMessage } from '@whiskeysockets/baileys';
import type { WhatsAppSocketConfig, WhatsAppSocketFactory, WhatsAppSocketLike } from '../../channels/whatsapp.js';

/**
 * A Baileys-shaped socket driven by the test: its `ev` emitter carries the same events Baileys
 * emits (connection.update, creds.update, messages.upsert, messages.update), its `ws` emits a
 * `frame` for every answer, and its send functions record calls. Like Baileys, a fresh socket
 * shows a QR when unlinked and opens when it has credentials. `silent` makes it a zombie: open,
 * but nothing comes back (queries never answer, no frames).
 */
export class FakeWaSocket implements WhatsAppSocketLike {
  readonly ev = new EventEmitter();
  readonly ws = new EventEmitter();
  readonly queries: BinaryNode[] = [];
  silent = false;
  readonly sent: { jid: string; content: AnyMessageContent; options?: MiscMessageGenerationOptions }[] = [];
  user?: { id: string; name?: string };
  ended = false;
  loggedOut = false;
  sendError?: Error;
  #ids = 0;

  constructor(readonly config: WhatsAppSocketConfig) {}

  /** Answers pings like the server (a frame, then the result) unless silent; then it never settles. */
  query(node: BinaryNode): Promise<unknown> {
    this.queries.push(node);
    if (this.silent || this.ended) return new Promise(() => undefined);
    this.ws.emit('frame', { tag: 'iq', attrs: { type: 'result' } });
    return Promise.resolve({ tag: 'iq', attrs: { type: 'result' } });
  }

  /** The server acknowledges our message `id` (SERVER_ACK = 2, DELIVERY_ACK = 3). */
  ack(id: string, status = 2): void {
    this.ws.emit('frame', { tag: 'ack', attrs: { id } });
    this.ev.emit('messages.update', [{ key: { id, fromMe: true }, update: { status } }]);
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage> {
    if (this.sendError) throw this.sendError;
    this.sent.push({ jid, content, ...(options ? { options } : {}) });
    return { key: { id: `OUT${++this.#ids}`, remoteJid: jid, fromMe: true } } as WAMessage;
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.end(disconnect(401, 'Intentional Logout'));
  }

  end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  }

  showQr(qr: string): void {
    this.ev.emit('connection.update', { qr });
  }

  /** The phone scanned the QR: credentials arrive, then WhatsApp asks for a restart (515). */
  scan(meId: string): void {
    this.ev.emit('creds.update', { me: { id: meId, name: 'Claw' } });
    this.drop(515, 'Stream Errored (restart required)');
  }

  open(): void {
    this.user = { id: (this.config.auth.creds.me?.id as string) ?? 'unknown@s.whatsapp.net' };
    this.ev.emit('connection.update', { connection: 'open' });
  }

  drop(statusCode: number, message = 'Connection Closed'): void {
    if (this.ended) return;
    this.ended = true;
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: disconnect(statusCode, message), date: new Date() } });
  }

  receive(message: Partial<WAMessage> & { key: WAMessage['key'] }, type = 'notify'): void {
    this.ev.emit('messages.upsert', { messages: [{ messageTimestamp: Math.floor(Date.now() / 1000), ...message }], type });
  }
}

/** A Boom-like error, as Baileys puts in lastDisconnect. */
export function disconnect(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { output: { statusCode } });
}

export interface FakeWaNetwork {
  factory: WhatsAppSocketFactory;
  sockets: FakeWaSocket[];
  /** Resolves with the socket number `index` (0-based) once it was created. */
  socket(index: number, timeoutMs?: number): Promise<FakeWaSocket>;
}

/** Sockets behave like Baileys on their own: QR when unlinked, open when linked (unless `auto` is off). */
export function fakeWaNetwork(options: { auto?: boolean } = {}): FakeWaNetwork {
  const sockets: FakeWaSocket[] = [];
  const waiters = new Set<() => void>();
  const factory: WhatsAppSocketFactory = (config) => {
    const sock = new FakeWaSocket(config);
    sockets.push(sock);
    for (const w of [...waiters]) w();
    if (options.auto !== false) {
      setImmediate(() => {
        if (sock.ended) return;
        if (config.auth.creds.me?.id) sock.open();
        else sock.showQr(`QR-${sockets.length}`);
      });
    }
    return sock;
  };
  const socket = (index: number, timeoutMs = 5000) =>
    new Promise<FakeWaSocket>((resolve, reject) => {
      const check = () => {
        if (!sockets[index]) return false;
        clearTimeout(timer);
        waiters.delete(listener);
        resolve(sockets[index]!);
        return true;
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        waiters.delete(listener);
        reject(new Error(`socket #${index} was never created (${sockets.length} so far)`));
      }, timeoutMs);
      if (!check()) waiters.add(listener);
    });
  return { factory, sockets, socket };
}
