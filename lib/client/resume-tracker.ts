import type { ConnectParams, EventFrame, HelloOk } from '../protocol/generated/types.js';

/** Where a resuming client stands: the gateway's event stream and the last cursor received from it. */
export interface ResumePoint {
  stream: string;
  cursor: number;
}

/**
 * The client side of `connect.resume`: follows the cursors of event frames, asks for what came
 * after the last one when it connects again, and tells from `hello-ok.resume` whether the gateway
 * could replay all of it.
 */
export class ResumeTracker {
  readonly #point: Partial<ResumePoint>;

  constructor(start: true | ResumePoint) {
    this.#point = start === true ? {} : { ...start };
  }

  get point(): ResumePoint | undefined {
    const { stream, cursor } = this.#point;
    return stream !== undefined && cursor !== undefined ? { stream, cursor } : undefined;
  }

  /** What `connect.resume` sends. */
  request(): NonNullable<ConnectParams['resume']> {
    return { ...this.#point };
  }

  onEvent(frame: EventFrame): void {
    if (typeof frame.cursor === 'number') this.#point.cursor = frame.cursor;
  }

  /** Takes the stream position `hello-ok` reports; a gap when events after our cursor could not be replayed. */
  onHello(hello: HelloOk): { expected: number; received: number } | undefined {
    const outcome = hello.resume;
    if (!outcome) return undefined;
    const asked = this.#point.cursor;
    this.#point.stream = outcome.stream;
    // Replayed frames follow and move the cursor on; without a replay the gateway's head is where we are.
    if (!outcome.complete || asked === undefined) this.#point.cursor = outcome.cursor;
    return outcome.complete || asked === undefined ? undefined : { expected: asked + 1, received: outcome.cursor + 1 };
  }
}
