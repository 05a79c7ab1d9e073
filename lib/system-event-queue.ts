/**
 * System events waiting for the next agent turn (restart notes, `wake` hooks, node beacons that
 * changed): `status` reports them. Only the newest few are kept.
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
}
