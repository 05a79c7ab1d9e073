import type { AuthRateLimiterOptions } from './auth-rate-limiter.js';
import type { ClusterLink } from './cluster-link.js';
import type { Clock } from './clock.js';
import type { ControlUiAuthOptions } from './connect-checks.js';
import type { Logger } from './logger.js';
import type { NodeCommandPolicyOptions } from './nodes/node-command-policy.js';
import type { GatewayPlugin } from './plugin.js';
import type { Policy } from './protocol/generated/types.js';
import type { GatewayAuthConfig } from './shared-auth.js';
import type { Storage } from './storage.js';

/** How `Gateway.close()` announces itself in the `shutdown` event. */
export interface ShutdownOptions {
  /** Sent as `shutdown.reason`; default "gateway stopping". */
  reason?: string;
  /** Non-null tells clients a restart is expected and roughly when. */
  restartExpectedMs?: number | null;
}

/** Options of {@link Gateway}; only `auth` is required. */
export interface GatewayOptions {
  /** The shared secret (token or password) every `connect` and HTTP bearer is checked against. */
  auth: GatewayAuthConfig;
  /** Reported as `server.version`; default "dev" (hosts pass theirs). */
  version?: string;
  /** Reported as `server.commit`. */
  commit?: string;
  /** Reported as `server.host` and in the gateway's own presence entry. Default `os.hostname()`. */
  host?: string;
  /** Overrides of `DEFAULT_POLICY`, announced in `hello-ok.policy` and enforced. */
  policy?: Partial<Policy>;
  /** How long a connection has to complete its `connect` before it is closed with 1008. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Gateway state (device pairing, ...). Defaults to volatile memory storage. */
  storage?: Storage;
  /** Time source of every timer and timestamp; default the system clock. */
  clock?: Clock;
  /** Default: silent. */
  logger?: Logger;
  /** Reported in the hello snapshot. */
  stateDir?: string;
  /** Reported in the hello snapshot. */
  configPath?: string;
  /**
   * Brute-force limits of every secret check (connect token/password and device token, HTTP
   * bearer, hook token): backoff per client address and device, plus a global failure budget.
   * On by default, loopback included; `false` turns them off.
   */
  authRateLimit?: AuthRateLimiterOptions | false;
  /** Proxy IPs whose forwarded headers name the HTTP client for those limits (`gateway.trustedProxies`). */
  trustedProxies?: string[];
  /** The Control UI's relaxed handshake (`gateway.controlUi.allowInsecureAuth`, `dangerouslyDisableDeviceAuth`). */
  controlUi?: ControlUiAuthOptions;
  /** Lifetime and cap of presence entries. */
  presence?: { ttlMs?: number; maxEntries?: number };
  /** Interval at which health is recomputed and broadcast as a `health` event. Default 60 s. */
  healthRefreshMs?: number;
  /** Advertised in `hello-ok` (e.g. `http://127.0.0.1:18793`, the canvas host). */
  canvasHostUrl?: string;
  /** Window in which presence changes are collapsed into one `presence` event. Default 50 ms. */
  presenceDebounceMs?: number;
  defaultAgentId?: string;
  /**
   * The other instances serving the same clients: broadcasts go through its event bus (instead of
   * the in-process one), presence lists merge, and the link is provided as `clusterService`.
   */
  cluster?: ClusterLink;
  /** Server allowlist node-declared commands are intersected with (`gateway.nodes`), for the default plugins. */
  nodes?: NodeCommandPolicyOptions;
  /**
   * The features this gateway serves, set up in this order. Default `corePlugins()`: system,
   * devices, node pairing and nodes. More can be added with `use()` before `start()`.
   */
  plugins?: GatewayPlugin[];
}
