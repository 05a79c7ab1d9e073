/**
 * System events waiting for the next heartbeat turn (restart notes, `wake` requests and hooks, node
 * beacons that changed): `status` reports them. Only the newest few are kept.
 */
export class SystemEventQueue {
  readonly #events: string[] = [];
  readonly #max: number;

  constructor(max = 20) {
    this.#max = max;
  }

  enqueue(text: string): void {
    this.#events.push(text);
    if (this.#events.length > this.#max) this.#events.shift();
  }

  list(): string[] {
    return [...this.#events];
  }

  /** Takes every queued event: the next heartbeat turn hands them to the agent. */
  drain(): string[] {
    return this.#events.splice(0);
  }
}
