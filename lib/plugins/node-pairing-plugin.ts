import type { TimerHandle } from '../clock.js';
import { NodePairingStore } from '../nodes/node-pairing-store.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { nodePairingService } from '../services.js';
import type { Storage } from '../storage.js';

export interface NodePairingPluginOptions {
  /** Where paired nodes are kept (`nodes/pending.json`, `nodes/paired.json`). */
  storage: Storage;
}

/**
 * `node.pair.*`, whose methods and events all need the pairing scope, and the
 * store of paired nodes (`nodePairingService`), loaded at start. A request nobody answers within
 * five minutes expires: it is dropped and `node.pair.resolved` says `decision: "expired"`.
 */
export function nodePairingPlugin(options: NodePairingPluginOptions): GatewayPlugin {
  let store: NodePairingStore | undefined;
  let expiry: ExpiryTimer | undefined;
  return {
    name: 'node-pairing',
    setup(gateway) {
      store = new NodePairingStore({
        storage: options.storage,
        now: () => gateway.clock.now(),
        onExpired: (requests) => {
          for (const { requestId, nodeId } of requests) {
            gateway.broadcast('node.pair.resolved', { requestId, nodeId, decision: 'expired', ts: gateway.clock.now() });
          }
        },
      });
      expiry = new ExpiryTimer(gateway, store);
      gateway.provide(nodePairingService, store);
      registerNodePairMethods(gateway, store, expiry);
    },
    async start() {
      await store?.load();
      expiry?.arm();
    },
    stop: () => expiry?.stop(),
  };
}

const PRUNE_RETRY_MS = 30_000;

/** One timer, set for the oldest pending request's expiry; it prunes and sets itself for the next. */
class ExpiryTimer {
  readonly #gateway: GatewayHost;
  readonly #store: NodePairingStore;
  #timer: TimerHandle | undefined;
  #dueAt: number | undefined;
  #stopped = false;

  constructor(gateway: GatewayHost, store: NodePairingStore) {
    this.#gateway = gateway;
    this.#store = store;
  }

  /** Sets the timer for the oldest pending request, unless it is set for that already; not sooner than `minDelayMs`. */
  arm(minDelayMs = 0): void {
    if (this.#stopped) return;
    const next = this.#store.nextExpiryAt();
    if (next === this.#dueAt && this.#timer !== undefined) return;
    this.#clear();
    if (next === undefined) return;
    const clock = this.#gateway.clock;
    this.#dueAt = next;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#dueAt = undefined;
      this.#store.pruneExpired().then(
        () => this.arm(),
        (err: unknown) => {
          this.#gateway.logger.log('error', 'gateway/nodes', `expiring node pairing requests failed: ${(err as Error).message}`);
          // A failing disk is not retried in a tight loop.
          this.arm(PRUNE_RETRY_MS);
        },
      );
    }, Math.max(minDelayMs, next - clock.now()));
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#gateway.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dueAt = undefined;
  }
}

function registerNodePairMethods(gateway: GatewayHost, store: NodePairingStore, expiry: ExpiryTimer): void {
  gateway.registerMethod('node.pair.request', async (params) => {
    const { request, created } = await store.request(params);
    if (created) gateway.broadcast('node.pair.requested', request);
    expiry.arm();
    return { status: 'pending', request, created };
  });

  gateway.registerMethod('node.pair.list', () => ({ pending: store.listPending(), paired: store.listPaired() }));

  gateway.registerMethod('node.pair.approve', async ({ requestId }) => {
    const node = await store.approve(requestId);
    gateway.broadcast('node.pair.resolved', { requestId, nodeId: node.nodeId, decision: 'approved', ts: gateway.clock.now() });
    return { requestId, node };
  });

  gateway.registerMethod('node.pair.reject', async ({ requestId }) => {
    const result = await store.reject(requestId);
    gateway.broadcast('node.pair.resolved', { requestId, nodeId: result.nodeId, decision: 'rejected', ts: gateway.clock.now() });
    return result;
  });

  gateway.registerMethod('node.pair.verify', ({ nodeId, token }) => store.verify(nodeId, token));
}
