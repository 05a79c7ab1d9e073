// The I/O-free core of the package root: the kernel, its plugin contract and plugins, the
// contracts an embedder implements (storage, clock, logger, transport, channel, model provider,
// tool), errors and the in-memory pair. The typed client lives in `./client`, not here, because
// it loads a WebSocket implementation.

// Kernel
export { Gateway } from './gateway.js';
export type { GatewayOptions, ShutdownOptions } from './gateway.js';
export type { ActiveRequest } from './request-activity.js';
export type { ClientSession, MethodContext } from './method-context.js';

// Plugin contract
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

// Feature plugins and the services they provide
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
export type { SystemEventQueue } from './system-event-queue.js';
export type { DevicePairingStore } from './device-pairing-store.js';
export type { PresenceStore } from './presence.js';
export type { NodeRegistry, ConnectedNode, NodeEvent, NodeInvokeInput, NodeInvokeSuccess } from './nodes/node-registry.js';
export type { NodePairingStore } from './nodes/node-pairing-store.js';
export type { ChannelManager, ChannelManagerEvents, ChannelsConfig } from './channels/channel-manager.js';
export type { AgentService } from './agents/agent-service.js';

// Errors
export { GatewayError } from './errors.js';
export type { GatewayErrorCode, WireErrorCode } from './errors.js';

// Transport contract and the in-memory pair
export type { ConnectionSink, PeerInfo, TransportConnection } from './transport.js';
export { createMemoryPair, connectMemory, MemoryClientSocket } from './memory-transport.js';
export type { MemoryPair, MemoryPairOptions } from './memory-transport.js';

// Storage, clock and logging contracts with their stock implementations
export { MemoryStorage } from './storage.js';
export type { AppendStorage, Storage } from './storage.js';
export { FileStorage } from './file-storage.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export type { Logger, LogLevel } from './logger.js';
export { createConsoleLogger } from './console-logger.js';
export type { ConsoleLoggerOptions, ConsoleStyle } from './console-logger.js';

// Configuration
export { ConfigManager, loadConfig, validateConfig } from './config/index.js';
export type { ConfigManagerEvents, ConfigManagerOptions, OpenClawConfig } from './config/index.js';
export { gatewayOptionsFromConfig } from './gateway-options-from-config.js';
export type { GatewayAuthConfig } from './shared-auth.js';

// Device identity, for nodes and clients that sign their connect
export { createNodeDeviceSigner, deriveDeviceId, generateDeviceIdentity, loadOrCreateDeviceIdentity } from './device-identity.js';
export type { DeviceIdentity, DeviceSigner } from './device-identity.js';

// Channel contract
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
export type { BackoffOptions } from './channels/backoff.js';
export type { WatchdogOptions } from './channels/connection-watchdog.js';
export type { AccountLeaseOptions } from './channels/lease-keeper.js';
export type { Lease, LeaseAcquireOptions, LeaseProvider } from './lease.js';
export type { NewOutboxEntry, OutboxEntry, OutboxError, OutboxStore } from './channels/outbox-store.js';

// Agents: settings, sessions, tools and the model provider contract
export { AgentSettings } from './agents/agent-settings.js';
export type { AgentDefinition, AgentSettingsInput } from './agents/agent-settings.js';
export { SessionStore } from './sessions/session-store.js';
export type { SessionEntry, SessionStoreOptions } from './sessions/session-store.js';
export type { SessionMaintenance } from './sessions/session-maintenance.js';
export type { Tool, ToolContext, ToolPolicy, ToolResult } from './agents/tool-registry.js';
export { ModelCatalog } from './providers/model-catalog.js';
export type { ModelCatalogOptions, ModelResolver, ProviderConfig, ResolvedModel } from './providers/model-catalog.js';
export { OpenAiChatProvider } from './providers/openai-chat-provider.js';
export type { OpenAiChatProviderOptions } from './providers/openai-chat-provider.js';
export { AnthropicMessagesProvider } from './providers/anthropic-messages-provider.js';
export type { AnthropicMessagesProviderOptions } from './providers/anthropic-messages-provider.js';
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

// Protocol constants and wire types
export { CloseCode, DEFAULT_POLICY, SUPPORTED_PROTOCOLS } from './protocol/index.js';
export type * from './protocol/generated/types.js';
