/**
 * The typed Gateway client: {@link GatewayClient} runs the handshake (optionally device-signed),
 * correlates requests and responses, types events and reconnects. Browser-safe (no Node
 * built-ins); it opens sockets through `isomorphic-ws` unless given `createSocket`. Also
 * re-exports {@link GatewayError} and the frame types a client needs.
 *
 * @module clawgate/client
 */
export { GatewayClient } from './gateway-client.js';
export { PresenceList, PRESENCE_DELTAS_CAP } from './presence-list.js';
export type {
  GatewayCallOptions,
  GatewayClientEvents,
  GatewayClientInfo,
  GatewayClientLocalEvents,
  GatewayClientOptions,
  GatewayClientState,
  ReconnectOptions,
  WebSocketLike,
} from './gateway-client.js';
export type { ResumePoint } from './resume-tracker.js';
export type { DeviceSigner } from '../device-auth-payload.js';
export { GatewayError } from '../errors.js';
export type { GatewayErrorCode } from '../errors.js';
export type {
  ConnectParams,
  EventFrame,
  GatewayEventMap,
  GatewayMethodMap,
  HelloOk,
  RequestFrame,
  ResponseFrame,
} from '../protocol/generated/types.js';
