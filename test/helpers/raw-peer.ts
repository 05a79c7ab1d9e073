/**
 * A protocol-agnostic test peer: sends raw text, collects parsed frames, and records the close.
 * Each transport's test builds one, so the contract suite runs the same scenarios everywhere.
 */
export interface Frame {
  type: string;
  [key: string]: any;
}

/** Sees every frame a peer sends (and may rewrite it first) and every frame it receives. */
export interface FrameObserver {
  sending?(frame: unknown): unknown;
  received?(frame: Frame): void;
}

export class RawPeer {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  closed?: { code: number; reason: string };
  readonly #sendText: (text: string) => void;
  readonly #closeFn: (code?: number, reason?: string) => void;
  #waiters: Array<() => void> = [];
  readonly #observers: FrameObserver[] = [];

  constructor(sendText: (text: string) => void, close: (code?: number, reason?: string) => void) {
    this.#sendText = sendText;
    this.#closeFn = close;
  }

  /** Feed from the transport side. */
  receive(text: string): void {
    this.raw.push(text);
    let frame: Frame;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = { type: 'unparsable', text };
    }
    this.frames.push(frame);
    for (const o of this.#observers) o.received?.(frame);
    this.#wake();
  }

  markClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.#wake();
  }

  sendText(text: string): void {
    this.#sendText(text);
  }

  send(frame: unknown): void {
    for (const o of this.#observers) if (o.sending) frame = o.sending(frame);
    this.#sendText(JSON.stringify(frame));
  }

  observe(observer: FrameObserver): void {
    this.#observers.push(observer);
  }

  close(code?: number, reason?: string): void {
    this.#closeFn(code, reason);
  }

  async waitFor<T>(check: () => T | undefined | false, label: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${label}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}; closed: ${JSON.stringify(this.closed)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  response(id: string, index = 0): Promise<Frame> {
    return this.waitFor(() => this.frames.filter((f) => f.type === 'res' && f.id === id)[index], `res ${id}#${index}`);
  }

  event(name: string, predicate: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.waitFor(() => this.frames.find((f) => f.type === 'event' && f.event === name && predicate(f)), `event ${name}`);
  }

  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.closed, 'close', timeoutMs);
  }

  async challenge(): Promise<{ nonce: string; ts: number }> {
    return (await this.event('connect.challenge')).payload;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

let nextId = 0;
export function reqId(): string {
  return `r${++nextId}`;
}
