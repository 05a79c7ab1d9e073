export { Gateway } from './gateway.js';
export type {
  ClientSession,
  GatewayEvents,
  GatewayOptions,
  MethodContext,
  MethodHandler,
  MethodName,
  MethodParams,
  MethodResult,
  ShutdownOptions,
} from './gateway.js';
export { GatewayError, toWireError } from './errors.js';
export type { GatewayErrorCode, WireErrorCode } from './errors.js';
export type { ConnectionSink, PeerInfo, TransportConnection } from './transport.js';
export { createMemoryPair, connectMemory, MemoryClientSocket } from './memory-transport.js';
export type { MemoryPair, MemoryPairOptions } from './memory-transport.js';
export { isLocalPeer, resolveClientIp } from './is-local-peer.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { MemoryStorage } from './storage.js';
export type { Storage } from './storage.js';
export { FileStorage } from './file-storage.js';
export type { Logger, LogLevel } from './logger.js';
export { createConsoleLogger } from './console-logger.js';
export type { ConsoleLoggerOptions } from './console-logger.js';
export type { GatewayAuthConfig } from './shared-auth.js';
export { gatewayOptionsFromConfig } from './gateway-options-from-config.js';
export {
  createNodeDeviceSigner,
  deriveDeviceId,
  DeviceTokenStore,
  generateDeviceIdentity,
  loadOrCreateDeviceIdentity,
} from './device-identity.js';
export type { DeviceIdentity, DeviceSigner } from './device-identity.js';
export { GatewayClient } from './client/index.js';
export type { GatewayClientOptions, GatewayCallOptions, WebSocketLike } from './client/index.js';
export {
  loadConfig,
  resolveGatewayAuth,
  resolvePaths,
  resolvePort,
  resolveProfile,
  validateConfig,
} from './config/index.js';
export type { OpenClawConfig } from './config/index.js';
export { CloseCode, DEFAULT_POLICY, SUPPORTED_PROTOCOLS, protocolSchema, methodSpecs, eventSpecs } from './protocol/index.js';
export type * from './protocol/generated/types.js';
