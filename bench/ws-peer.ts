import { WebSocket } from 'ws';
import { buildDeviceAuthPayload, type DeviceSigner } from '../lib/device-identity.js';

export const BENCH_TOKEN = 'bench-token-5f1c9a0e7b2d4c68';

/** `client.mode` values of protocol §3.2; `cli` skips presence tracking, the others do not. */
export type ClientMode = 'cli' | 'backend' | 'ui' | 'webchat' | 'test';

/**
 * A raw `ws` client (no GatewayClient) with a pull-style inbox for handshakes and a push hook
 * (`onFrame`) for hot loops, so measurement code adds as little as possible.
 */
export class Peer {
  readonly ws: WebSocket;
  /** When set, frames go here instead of the inbox. */
  onFrame?: (data: Buffer) => void;
  readonly closed: Promise<{ code: number; reason: string }>;
  #inbox: Buffer[] = [];
  #waiter?: { resolve: (data: Buffer) => void; reject: (err: Error) => void };
  #error?: Error;
  #isClosed = false;

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('message', (data) => {
      const buf = data as Buffer;
      if (this.onFrame) return this.onFrame(buf);
      if (this.#waiter) {
        const waiter = this.#waiter;
        this.#waiter = undefined;
        waiter.resolve(buf);
      } else {
        this.#inbox.push(buf);
      }
    });
    this.ws.on('error', (err) => {
      this.#error ??= err;
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.#isClosed = true;
        const text = reason.toString('utf8');
        this.#waiter?.reject(this.#error ?? new Error(`socket closed (${code}${text ? ` ${text}` : ''})`));
        this.#waiter = undefined;
        resolve({ code, reason: text });
      });
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onOpen = () => {
        this.ws.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.ws.off('open', onOpen);
        reject(this.#error ?? new Error('socket closed before open'));
      };
      this.ws.once('open', onOpen);
      this.ws.once('close', onClose);
    });
  }

  /** The next inbound frame (only while `onFrame` is unset). */
  next(timeoutMs = 5_000): Promise<Buffer> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#isClosed) return Promise.reject(this.#error ?? new Error('socket closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        resolve: (data) => {
          clearTimeout(timer);
          resolve(data);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Close handshake (1000), resolved when the socket is fully closed. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.ws.close(1000);
    await this.closed;
  }

  terminate(): Promise<unknown> {
    if (!this.#isClosed) this.ws.terminate();
    return this.closed;
  }
}

export interface HandshakeOptions {
  token?: string;
  mode?: ClientMode;
  instanceId?: string;
  timeoutMs?: number;
  /** Signs the connect with this device (v3 payload over the challenge nonce), as today's clients do. */
  device?: DeviceSigner;
  /** `connect.params.caps`. */
  caps?: string[];
}

export interface Handshaken {
  peer: Peer;
  helloBytes: number;
}

/** Full challenge → connect (token auth, optionally device-signed) → hello-ok over a raw socket. */
export async function connectGateway(url: string, options: HandshakeOptions = {}): Promise<Handshaken> {
  const peer = new Peer(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    await peer.opened();
    const challenge = JSON.parse((await peer.next(timeoutMs)).toString('utf8')) as { event?: string; payload?: { nonce?: string } };
    if (challenge.event !== 'connect.challenge') throw new Error(`expected connect.challenge, got ${JSON.stringify(challenge).slice(0, 120)}`);
    const token = options.token ?? BENCH_TOKEN;
    const mode = options.mode ?? 'cli';
    let device: Record<string, unknown> | undefined;
    if (options.device) {
      const signedAt = Date.now();
      const nonce = challenge.payload?.nonce;
      const payload = buildDeviceAuthPayload('v3', {
        deviceId: options.device.deviceId,
        clientId: 'test',
        clientMode: mode,
        role: 'operator',
        scopes: [],
        signedAtMs: signedAt,
        token,
        nonce,
        platform: process.platform,
      });
      device = { id: options.device.deviceId, publicKey: options.device.publicKey, signature: await options.device.sign(payload), signedAt, nonce };
    }
    peer.send(
      JSON.stringify({
        type: 'req',
        id: 'connect-1',
        method: 'connect',
        params: {
          minProtocol: 3,
          maxProtocol: 3,
          client: {
            id: 'test',
            version: 'bench',
            platform: process.platform,
            mode,
            ...(options.instanceId ? { instanceId: options.instanceId } : {}),
          },
          ...(options.caps ? { caps: options.caps } : {}),
          ...(device ? { device } : {}),
          auth: { token },
        },
      }),
    );
    for (;;) {
      const raw = await peer.next(timeoutMs);
      const frame = JSON.parse(raw.toString('utf8')) as { type?: string; id?: string; ok?: boolean; error?: { message?: string } };
      if (frame.type !== 'res' || frame.id !== 'connect-1') continue;
      if (!frame.ok) throw new Error(`connect refused: ${frame.error?.message ?? 'unknown error'}`);
      return { peer, helloBytes: raw.length };
    }
  } catch (err) {
    await peer.terminate();
    throw err;
  }
}

/** Bare ws open, for baselines. */
export async function openPeer(url: string): Promise<Peer> {
  const peer = new Peer(url);
  try {
    await peer.opened();
    return peer;
  } catch (err) {
    await peer.terminate();
    throw err;
  }
}

export interface ManyResult<T> {
  ok: T[];
  failed: number;
  firstError?: Error;
}

/**
 * Opens `count` connections with at most `concurrency` in flight (the listen backlog is finite),
 * collecting failures (EMFILE, ECONNRESET, ...) instead of throwing.
 */
export async function openMany<T>(count: number, concurrency: number, open: (i: number) => Promise<T>): Promise<ManyResult<T>> {
  const ok: T[] = [];
  let failed = 0;
  let firstError: Error | undefined;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        ok.push(await open(i));
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err : new Error(String(err));
        // After a resource error more attempts only make it worse.
        if (['EMFILE', 'ENFILE', 'EADDRNOTAVAIL'].includes((err as NodeJS.ErrnoException).code ?? '')) next = count;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { ok, failed, firstError };
}
