import type { Role } from './method-access.js';
import type { ClientInfo, ConnectParams } from './protocol/generated/types.js';
import type { PeerInfo } from './transport.js';

/** One authenticated peer, as methods and event listeners see it. */
export interface ClientSession {
  readonly connId: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly client: ClientInfo;
  readonly deviceId?: string;
  readonly peer: PeerInfo;
  readonly protocol: number;
  readonly connectedAtMs: number;
  /** The connect params, without `auth` and `device` (what they proved is `role`, `scopes`, `deviceId`). */
  readonly connect: Omit<ConnectParams, 'auth' | 'device'>;
}

/**
 * What a handler knows of its call. `Accepted` is the type of the intermediate answer of a
 * two-phase method (`agent`); `never` for the others, so only those can call `respond`.
 */
export interface MethodContext<Accepted = never> {
  /** The calling connection; undefined for in-process calls through `call`. */
  readonly session?: ClientSession;
  /** Sends an intermediate `res` on the same request id, before the final result. */
  respond(payload: Accepted): void;
}
