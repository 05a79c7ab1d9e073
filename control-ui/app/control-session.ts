import { GatewayClient, GatewayError } from '../../lib/client/index.js';
import type { HealthSummary, HelloOk, PresenceEntry } from '../../lib/protocol/generated/types.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import { errorMessage } from './dom.js';
import type { IdbStore } from './idb-store.js';
import { gatewaySocketUrl, type SessionToken } from './session-token.js';
import { WebCryptoDeviceSigner } from './web-crypto-signer.js';

declare const __OPENCLAW_VERSION__: string;

export type ConnectionStatus =
  | { kind: 'connecting' }
  | { kind: 'open'; reconnected: boolean; restarted: boolean }
  | { kind: 'reconnecting'; attempt: number; why: string }
  /** No usable credentials: the UI asks for the gateway token. */
  | { kind: 'needs-token'; message?: string }
  /** This browser's device waits for an operator's approval; retried on a timer. */
  | { kind: 'pairing'; message: string; requestId?: string }
  /** The gateway cannot be reached; retried on a timer. */
  | { kind: 'unreachable'; message: string }
  /** Refused for a reason the user must fix elsewhere (insecure context, bad device key). */
  | { kind: 'refused'; message: string };

export interface UiError {
  ts: number;
  where: string;
  message: string;
}

export interface ControlSessionEvents {
  status: ConnectionStatus;
  hello: HelloOk;
  presence: PresenceEntry[];
  health: HealthSummary;
  /** State may be stale (reconnect or missed events): views reload what they show. */
  refresh: { reason: 'reconnect' | 'gap' };
  /** Every gateway event, for views that follow their own (chat, pairing). */
  event: { event: string; payload: unknown };
  errors: UiError[];
}

export interface ControlSessionOptions {
  token: SessionToken;
  store: IdbStore;
}

const RETRY_MS = 3_000;
const MAX_ERRORS = 20;

/**
 * The UI's one connection to the gateway that served it: credentials (shared token, browser
 * device key, device token), the handshake, reconnects with on-screen status, and the live
 * presence/health state every view reads.
 */
export class ControlSession {
  readonly #options: ControlSessionOptions;
  readonly #emitter = new TypedEmitter<ControlSessionEvents>((err) => console.error('Control UI listener failed', err));
  #client: GatewayClient | undefined;
  #signer: WebCryptoDeviceSigner | undefined;
  #status: ConnectionStatus = { kind: 'connecting' };
  #hello: HelloOk | undefined;
  #helloAtMs = 0;
  #presence: PresenceEntry[] = [];
  #health: HealthSummary | undefined;
  #errors: UiError[] = [];
  #everOpen = false;
  /** What the gateway's `shutdown` event said before the socket closed. */
  #shutdown: { reason: string; restartExpectedMs: number | null } | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why a secure context still has no device key (no Ed25519 in this browser's WebCrypto). */
  #signerProblem: string | undefined;

  constructor(options: ControlSessionOptions) {
    this.#options = options;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get hello(): HelloOk | undefined {
    return this.#hello;
  }

  /** Gateway uptime now, from the hello snapshot plus the time since it arrived. */
  get uptimeMs(): number | undefined {
    return this.#hello ? this.#hello.snapshot.uptimeMs + (Date.now() - this.#helloAtMs) : undefined;
  }

  get presence(): PresenceEntry[] {
    return this.#presence;
  }

  get health(): HealthSummary | undefined {
    return this.#health;
  }

  get errors(): UiError[] {
    return this.#errors;
  }

  get deviceId(): string | undefined {
    return this.#signer?.deviceId;
  }

  /** The connected client; views call methods through it. Throws when not connected. */
  get client(): GatewayClient {
    if (!this.#client || this.#status.kind !== 'open') throw new GatewayError('CONNECTION_CLOSED', 'not connected to the gateway');
    return this.#client;
  }

  /** Whether this gateway advertises `method` in `hello-ok.features.methods`. */
  has(method: string): boolean {
    return this.#hello?.features.methods.includes(method) ?? false;
  }

  on<K extends keyof ControlSessionEvents>(event: K, listener: (payload: ControlSessionEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  reportError(where: string, err: unknown): void {
    this.#errors = [{ ts: Date.now(), where, message: errorMessage(err) }, ...this.#errors].slice(0, MAX_ERRORS);
    this.#emitter.emit('errors', this.#errors);
  }

  /** Loads the device identity and connects; call once at startup. */
  async start(): Promise<void> {
    if (WebCryptoDeviceSigner.supported()) {
      try {
        this.#signer = await WebCryptoDeviceSigner.load(this.#options.store);
      } catch (err) {
        // Without Ed25519 the gateway only accepts the UI with gateway.controlUi.allowInsecureAuth.
        this.#signerProblem = errorMessage(err);
        this.reportError('device identity', err);
      }
    }
    this.connect();
  }

  /** (Re)connects with the current credentials; a new token from the form goes through here too. */
  connect(): void {
    this.#clearRetry();
    this.#client?.close();
    const token = this.#options.token.get();
    if (token === undefined && this.#signer?.deviceToken === undefined) {
      this.#setStatus({ kind: 'needs-token' });
      return;
    }
    const client = new GatewayClient({
      url: gatewaySocketUrl(),
      token,
      signer: this.#signer,
      deviceToken: this.#signer?.deviceToken,
      client: {
        id: 'openclaw-control-ui',
        mode: 'ui',
        displayName: 'Control UI',
        version: __OPENCLAW_VERSION__,
        platform: 'web',
      },
      scopes: ['operator.admin'],
      reconnect: { initialDelayMs: 500, maxDelayMs: 5_000 },
    });
    this.#client = client;
    this.#wire(client);
    this.#setStatus({ kind: 'connecting' });
    client.connect().catch((err: unknown) => {
      if (client === this.#client) this.#onRefused(err);
    });
  }

  /** Forgets the tab's token (and the device token it may have earned) and asks for a new one. */
  signOut(): void {
    this.#options.token.clear();
    this.#signer?.saveDeviceToken(undefined).catch((err: unknown) => this.reportError('device token', err));
    this.#clearRetry();
    this.#client?.close();
    this.#client = undefined;
    this.#setStatus({ kind: 'needs-token' });
  }

  #wire(client: GatewayClient): void {
    const live = () => client === this.#client;
    client.on('hello', (hello) => live() && this.#onHello(hello));
    client.on('presence', (payload) => live() && this.#setPresence(payload.presence));
    client.on('health', (payload) => live() && this.#setHealth(payload));
    client.on('shutdown', (payload) => {
      if (live()) this.#shutdown = payload;
    });
    client.on('close', (info) => {
      if (!live() || this.#status.kind !== 'open') return;
      const shutdown = this.#shutdown;
      const why = shutdown
        ? `${shutdown.restartExpectedMs === null ? 'the gateway stopped' : 'the gateway is restarting'} (${shutdown.reason})`
        : `connection lost (${info.code}${info.reason ? ` ${info.reason}` : ''})`;
      this.#setStatus({ kind: 'reconnecting', attempt: 0, why });
    });
    client.on('reconnecting', ({ attempt }) => {
      if (!live()) return;
      const why = this.#status.kind === 'reconnecting' ? this.#status.why : 'connection lost';
      this.#setStatus({ kind: 'reconnecting', attempt, why });
    });
    client.on('reconnect-failed', (err) => live() && this.#onRefused(err));
    client.on('refresh', (state) => {
      if (!live()) return;
      this.#setHealth(state.health);
      this.#setPresence(state.presence);
      this.#emitter.emit('refresh', { reason: 'gap' });
    });
    client.on('device-token', ({ deviceToken }) => {
      if (live()) this.#signer?.saveDeviceToken(deviceToken).catch((err: unknown) => this.reportError('device token', err));
    });
    client.on('error', (err) => live() && this.reportError('client', err));
    for (const event of ['chat', 'agent', 'device.pair.requested', 'device.pair.resolved', 'node.pair.requested', 'node.pair.resolved', 'cron', 'exec.approval.requested', 'exec.approval.resolved', 'sessions.changed']) {
      client.on(event as 'chat', (payload) => live() && this.#emitter.emit('event', { event, payload }));
    }
  }

  #onHello(hello: HelloOk): void {
    const previous = this.#hello;
    const restarted = previous !== undefined && (this.#shutdown !== undefined || hello.snapshot.uptimeMs < (this.uptimeMs ?? 0));
    this.#hello = hello;
    this.#helloAtMs = Date.now();
    this.#shutdown = undefined;
    this.#setPresence(hello.snapshot.presence);
    this.#setHealth(hello.snapshot.health);
    const reconnected = this.#everOpen;
    this.#everOpen = true;
    this.#emitter.emit('hello', hello);
    this.#setStatus({ kind: 'open', reconnected, restarted });
    if (reconnected) this.#emitter.emit('refresh', { reason: 'reconnect' });
  }

  /** Sorts a failed handshake into what the user can do about it. */
  #onRefused(err: unknown): void {
    const message = errorMessage(err);
    const code = err instanceof GatewayError ? err.code : undefined;
    const rateLimited = err instanceof GatewayError && (err.details as { code?: string } | undefined)?.code === 'AUTH_RATE_LIMITED';
    if (rateLimited) {
      // A sign-in right after a mistyped token lands in the gateway's backoff: it said when to
      // come back, so the credentials just entered are tried again then, not refused.
      this.#setStatus({ kind: 'connecting' });
      this.#retryLater(Math.max(100, (err as GatewayError).retryAfterMs ?? RETRY_MS));
    } else if (code === 'NOT_PAIRED' && /pairing required/.test(message)) {
      const requestId = ((err as GatewayError).details as { requestId?: string } | undefined)?.requestId;
      this.#setStatus({
        kind: 'pairing',
        requestId,
        message: `This browser is waiting for approval. Approve it from another Control UI or with \`openclaw devices approve ${requestId ?? '<requestId>'}\` on the gateway host.`,
      });
      this.#retryLater();
    } else if (code === 'NOT_PAIRED' || /^unauthorized/.test(message)) {
      // A device token the gateway no longer accepts must not be offered again.
      if (this.#options.token.get() === undefined) this.#signer?.saveDeviceToken(undefined).catch((err: unknown) => this.reportError('device token', err));
      this.#setStatus({ kind: 'needs-token', message });
    } else if (code === 'INVALID_REQUEST') {
      this.#setStatus({ kind: 'refused', message: explainRefusal(message, this.#signerProblem) });
    } else {
      this.#setStatus({ kind: 'unreachable', message: `Cannot reach the gateway: ${message}` });
      this.#retryLater();
    }
  }

  #retryLater(delayMs = RETRY_MS): void {
    this.#clearRetry();
    this.#retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#emitter.emit('status', status);
  }

  #setPresence(presence: PresenceEntry[]): void {
    this.#presence = presence;
    this.#emitter.emit('presence', presence);
  }

  #setHealth(health: HealthSummary): void {
    this.#health = health;
    this.#emitter.emit('health', health);
  }
}

function explainRefusal(message: string, signerProblem: string | undefined): string {
  if (/secure context/.test(message) && signerProblem !== undefined) {
    return `${message}. This browser could not make a device key (${signerProblem}); use a browser with Ed25519 in WebCrypto, or set gateway.controlUi.allowInsecureAuth to allow token-only sign-in.`;
  }
  if (/secure context/.test(message)) {
    return `${message}. Open the dashboard through https:// or http://127.0.0.1, or set gateway.controlUi.allowInsecureAuth to allow token-only sign-in over plain HTTP.`;
  }
  return `The gateway refused this browser: ${message}`;
}
