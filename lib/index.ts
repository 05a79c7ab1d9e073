export { Gateway } from './gateway.js';
export type { GatewayOptions, ShutdownOptions } from './gateway.js';
export type { ClientSession, MethodContext } from './method-context.js';
export { ServiceKey } from './plugin.js';
export type {
  CallArgs,
  CustomMethodHandler,
  CustomMethodOptions,
  GatewayEvents,
  GatewayHost,
  GatewayPlugin,
  HealthStage,
  MethodAccepted,
  MethodHandler,
  MethodName,
  MethodParams,
  MethodResult,
  StatusStage,
  WireEvent,
} from './plugin.js';
export type { AccessScope, Role } from './method-access.js';
export { corePlugins } from './core-plugins.js';
export type { CorePluginsOptions } from './core-plugins.js';
export { systemPlugin } from './plugins/system-plugin.js';
export { devicesPlugin } from './plugins/devices-plugin.js';
export { nodePairingPlugin } from './plugins/node-pairing-plugin.js';
export type { NodePairingPluginOptions } from './plugins/node-pairing-plugin.js';
export { nodesPlugin } from './plugins/nodes-plugin.js';
export type { NodesPluginOptions } from './plugins/nodes-plugin.js';
export { configPlugin } from './plugins/config-plugin.js';
export { logsPlugin } from './plugins/logs-plugin.js';
export type { LogsPluginOptions } from './plugins/logs-plugin.js';
export { agentPlugins, agentsPlugin } from './plugins/agents-plugin.js';
export type { AgentsPluginOptions } from './plugins/agents-plugin.js';
export { sessionsPlugin } from './plugins/sessions-plugin.js';
export { chatPlugin } from './plugins/chat-plugin.js';
export { channelsPlugin } from './plugins/channels-plugin.js';
export type { ChannelsPluginOptions } from './plugins/channels-plugin.js';
export {
  agentsService,
  channelsService,
  configService,
  devicesService,
  nodePairingService,
  nodesService,
  presenceService,
  systemEventsService,
} from './services.js';
export { SystemEventQueue } from './system-event-queue.js';
export { DevicePairingStore } from './device-pairing-store.js';
export { PresenceStore } from './presence.js';
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
export { NodeRegistry, nodeIdOf, DEFAULT_NODE_INVOKE_TIMEOUT_MS } from './nodes/node-registry.js';
export type { ConnectedNode, NodeEvent, NodeInvokeInput, NodeInvokeSuccess, NodeRegistryOptions } from './nodes/node-registry.js';
export { NodeCommandPolicy, DEFAULT_NODE_COMMANDS } from './nodes/node-command-policy.js';
export type { NodeCommandPolicyOptions, NodeCommandRefusal } from './nodes/node-command-policy.js';
export { NodePairingStore } from './nodes/node-pairing-store.js';
export type { NodePairingStoreOptions } from './nodes/node-pairing-store.js';
export { ChannelSendError } from './channel.js';
export type {
  Channel,
  ChannelDefinition,
  ChannelEvents,
  ChannelFactoryContext,
  ChannelLogin,
  ChatType,
  DeliveryResult,
  InboundMessage,
  OutboundMessage,
} from './channel.js';
export { ChannelManager } from './channels/channel-manager.js';
export type { ChannelManagerEvents, ChannelManagerOptions, ChannelsConfig } from './channels/channel-manager.js';
export { ChannelPairingStore } from './channels/channel-pairing-store.js';
export type { ChannelAllowEntry, ChannelPairingList, ChannelPairingRequest, ChannelPairingStoreOptions } from './channels/channel-pairing-store.js';
export { InboundRouter } from './channels/inbound-router.js';
export type { ChannelAgentRunner, InboundOutcome, InboundRouterOptions } from './channels/inbound-router.js';
export { chunkText } from './channels/chunk-text.js';
export { IdempotencyCache } from './idempotency-cache.js';
export type { IdempotencyCacheOptions, IdempotentRunOptions } from './idempotency-cache.js';
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
export {
  applyMergePatch,
  buildReloadPlan,
  ConfigFileWatcher,
  ConfigManager,
  diffConfigPaths,
  matchReloadRule,
  REDACTED_SENTINEL,
  redactConfigValue,
} from './config/index.js';
export type {
  ConfigFileWatcherOptions,
  ConfigManagerEvents,
  ConfigManagerOptions,
  ConfigRestartRequest,
  ReloadMode,
  ReloadPlan,
} from './config/index.js';
export { FileLogger, DEFAULT_LOG_DIR, rollingLogFile } from './logging/file-logger.js';
export type { FileLoggerOptions } from './logging/file-logger.js';
export { TeeLogger } from './logging/tee-logger.js';
export type { LogThreshold } from './logging/log-levels.js';
export { readLogTail } from './logging/log-tail.js';
export type { LogTailRequest } from './logging/log-tail.js';
export { parseLogLine } from './logging/parse-log-line.js';
export type { ParsedLogLine } from './logging/parse-log-line.js';
export type { ConsoleStyle } from './console-logger.js';
export { CloseCode, DEFAULT_POLICY, SUPPORTED_PROTOCOLS, protocolSchema, methodSpecs, eventSpecs } from './protocol/index.js';
export type * from './protocol/generated/types.js';
export { AgentService } from './agents/agent-service.js';
export type { AgentServiceOptions, RunTarget } from './agents/agent-service.js';
export { AgentRun, AgentRunner } from './agents/agent-runner.js';
export type { AbortReason, AgentRunListener, AgentRunnerOptions, AgentRunRequest, AgentRunResult } from './agents/agent-runner.js';
export { AgentSettings } from './agents/agent-settings.js';
export type { AgentDefinition, AgentSettingsInput } from './agents/agent-settings.js';
export { ChatEventBridge } from './agents/chat-event-bridge.js';
export type { ChatEventBridgeOptions } from './agents/chat-event-bridge.js';
export { ToolRegistry } from './agents/tool-registry.js';
export type { Tool, ToolContext, ToolPolicy, ToolResult } from './agents/tool-registry.js';
export { builtinTools, createMessageTool, createNodesTool, createSessionsListTool } from './agents/builtin-tools.js';
export { ModelCatalog } from './providers/model-catalog.js';
export type { ModelCatalogOptions, ModelResolver, ProviderConfig, ResolvedModel } from './providers/model-catalog.js';
export { OpenAiChatProvider } from './providers/openai-chat-provider.js';
export type { OpenAiChatProviderOptions } from './providers/openai-chat-provider.js';
export { AnthropicMessagesProvider } from './providers/anthropic-messages-provider.js';
export type { AnthropicMessagesProviderOptions } from './providers/anthropic-messages-provider.js';
export { SseParser } from './providers/sse-parser.js';
export type { SseEvent } from './providers/sse-parser.js';
export type { ProviderFailure, ProviderHttpOptions } from './providers/provider-stream.js';
export type {
  AssistantMessage,
  ImagePart,
  ModelMessage,
  ModelProvider,
  ModelRequest,
  ModelStreamEvent,
  ModelUsage,
  ProviderApi,
  StopReason,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolResultMessage,
  ToolSpec,
  UserMessage,
} from './providers/model-provider.js';
export { SessionStore } from './sessions/session-store.js';
export type { SessionEntry, SessionStoreOptions, TranscriptHeader, TranscriptLine } from './sessions/session-store.js';
export { canonicalSessionKey, channelSessionKey, mainSessionKey } from './sessions/session-keys.js';
export type { AppendStorage } from './storage.js';
