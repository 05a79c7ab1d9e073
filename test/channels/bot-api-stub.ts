import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncHandler } from '../helpers/async-handler.js';

/** A Telegram Bot API stand-in on 127.0.0.1: long-polled getUpdates, sends recorded, faults on demand. */

export interface StubCall {
  method: string;
  body: Record<string, any>;
  /** Raw body for multipart uploads. */
  raw: string;
}

export type StubFault =
  | { kind: 'error'; code: number; description: string; retryAfter?: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number };

interface Poller {
  offset: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

export class BotApiStub {
  readonly token: string;
  readonly calls: StubCall[] = [];
  readonly me = { id: 4242, is_bot: true, first_name: 'Claw', username: 'claw_bot' };
  #server?: Server;
  #port = 0;
  #updates: Record<string, any>[] = [];
  #nextUpdateId = 1;
  #nextMessageId = 100;
  #pollers = new Set<Poller>();
  #faults = new Map<string, StubFault[]>();
  #waiters = new Set<() => void>();
  #webhook = '';

  constructor(token = '123456:TEST-token-ABCdefGHIjkl') {
    this.token = token;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Listens on port 0, or on `port` to come back where a closed stub was. */
  async start(port = 0): Promise<this> {
    const server = createServer(asyncHandler('Bot API stand-in', (req, res) => this.#handle(req, res)));
    this.#server = server;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and cuts every open connection (the Bot API "goes away"). */
  async close(): Promise<void> {
    for (const p of this.#pollers) clearTimeout(p.timer);
    this.#pollers.clear();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` calls of `method` get this fault instead of an answer. */
  fault(method: string, fault: StubFault, times = 1): void {
    const list = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.#faults.set(method, list);
  }

  /** Queues a text message update, as if `from` wrote it in `chat`. */
  pushMessage(input: {
    text: string;
    fromId?: number;
    username?: string;
    firstName?: string;
    chatId?: number;
    chatType?: 'private' | 'group' | 'supergroup';
    entities?: Record<string, unknown>[];
    replyToBot?: boolean;
  }): Record<string, any> {
    const fromId = input.fromId ?? 1001;
    const chatType = input.chatType ?? 'private';
    const message: Record<string, any> = {
      message_id: this.#nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: chatType === 'private' ? { id: input.chatId ?? fromId, type: 'private', first_name: input.firstName ?? 'Ada' } : { id: input.chatId ?? -1001, type: chatType, title: 'Team' },
      from: { id: fromId, is_bot: false, first_name: input.firstName ?? 'Ada', ...(input.username ? { username: input.username } : {}) },
      text: input.text,
      ...(input.entities ? { entities: input.entities } : {}),
      ...(input.replyToBot ? { reply_to_message: { message_id: 1, date: 0, chat: { id: input.chatId ?? -1001, type: chatType }, from: this.me } } : {}),
    };
    const update = { update_id: this.#nextUpdateId++, message };
    this.#updates.push(update);
    this.#flushPollers();
    return update;
  }

  sent(method = 'sendMessage'): StubCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first recorded call matching, waiting for it if needed. */
  waitFor(predicate: (call: StubCall) => boolean, timeoutMs = 5000): Promise<StubCall> {
    return this.#wait(() => this.calls.find(predicate), timeoutMs, 'matching call');
  }

  /** Resolves once `count` calls of `method` were made. */
  waitForCount(method: string, count: number, timeoutMs = 5000): Promise<StubCall[]> {
    return this.#wait(() => {
      const calls = this.sent(method);
      return calls.length >= count ? calls : undefined;
    }, timeoutMs, `${count} ${method} calls`);
  }

  get webhookUrl(): string {
    return this.#webhook;
  }

  #wait<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const found = check();
        if (found === undefined) return false;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(found);
        return true;
      };
      const waiter = () => void attempt();
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`));
      }, timeoutMs);
      if (!attempt()) this.#waiters.add(waiter);
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!match) return json(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    let body: Record<string, any> = {};
    if ((req.headers['content-type'] ?? '').includes('application/json') && raw) body = JSON.parse(raw);
    this.calls.push({ method, body, raw });
    for (const w of [...this.#waiters]) w();
    if (token !== this.token) return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const fault = this.#faults.get(method)?.shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      return json(res, fault.code, {
        ok: false,
        error_code: fault.code,
        description: fault.description,
        ...(fault.retryAfter !== undefined ? { parameters: { retry_after: fault.retryAfter } } : {}),
      });
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));

    switch (method) {
      case 'getMe':
        return ok(res, this.me);
      case 'deleteWebhook':
        this.#webhook = '';
        return ok(res, true);
      case 'setWebhook':
        this.#webhook = String(body.url ?? '');
        return ok(res, true);
      case 'getUpdates':
        return this.#getUpdates(body, res);
      default: {
        if (!method.startsWith('send')) return ok(res, true);
        const chatId = body.chat_id ?? /name="chat_id"\r\n\r\n([^\r]*)/.exec(raw)?.[1];
        return ok(res, {
          message_id: this.#nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: Number(chatId) < 0 ? 'group' : 'private' },
          ...(body.text ? { text: body.text } : {}),
        });
      }
    }
  }

  #getUpdates(body: Record<string, any>, res: ServerResponse): void {
    // Like Telegram: a new getUpdates ends the one still waiting (another poller with this token).
    for (const poller of [...this.#pollers]) {
      clearTimeout(poller.timer);
      this.#pollers.delete(poller);
      json(poller.res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    }
    const offset = Number(body.offset ?? 0);
    // Telegram forgets updates below the offset: that is how a poller confirms them.
    this.#updates = this.#updates.filter((u) => u.update_id >= offset);
    const limit = Number(body.limit ?? 100);
    if (this.#updates.length || !body.timeout) return ok(res, this.#updates.slice(0, limit));
    const poller: Poller = {
      offset,
      res,
      timer: setTimeout(() => {
        this.#pollers.delete(poller);
        ok(res, []);
      }, Number(body.timeout) * 1000),
    };
    this.#pollers.add(poller);
    res.once('close', () => {
      clearTimeout(poller.timer);
      this.#pollers.delete(poller);
    });
  }

  #flushPollers(): void {
    for (const poller of [...this.#pollers]) {
      clearTimeout(poller.timer);
      this.#pollers.delete(poller);
      ok(poller.res, this.#updates.filter((u) => u.update_id >= poller.offset));
    }
  }
}

function ok(res: ServerResponse, result: unknown): void {
  json(res, 200, { ok: true, result });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
