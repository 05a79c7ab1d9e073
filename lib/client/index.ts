export { GatewayClient } from './gateway-client.js';
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
