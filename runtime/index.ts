/**
 * The package root: the I/O-free {@link Gateway} kernel with its plugin contract
 * ({@link GatewayPlugin}, {@link GatewayHost}) and stock plugins, the contracts an embedder
 * implements (storage, clock, logger, transport, channel, model provider, tool), errors, the
 * in-memory transport pair, and {@link createGatewayRuntime}, which runs the whole gateway as
 * `openclaw gateway` does. The wire types are re-exported from `clawgate/protocol`; the typed
 * client lives in `clawgate/client`.
 *
 * @module clawgate
 */
export * from '../lib/index.js';
export { createGatewayRuntime, EMBEDDED_CONFIG_FILE } from './create-gateway-runtime.js';
export type { CreateGatewayRuntimeOptions } from './create-gateway-runtime.js';
export { GatewayRuntime, RESTART_EXPECTED_MS } from './gateway-runtime.js';
export type { GatewayRuntimeEvents, GatewayRuntimeOptions, RuntimeEnvironment, RuntimeOverrides } from './gateway-runtime.js';
export type { EventLoopStalls } from './event-loop-stall-monitor.js';
export type { ChannelReload, ChannelReloadHook, RuntimeContext, RuntimePlugin, RuntimeReloadHooks, RuntimeSetupContext } from './runtime-plugin.js';
export { runtimePlugins } from './runtime-plugins.js';
export type { RuntimePluginsOptions } from './runtime-plugins.js';
export { agentsRuntimePlugin } from './agents-runtime-plugin.js';
export { canvasHostRuntimePlugin } from './canvas-host-runtime-plugin.js';
export { channelsRuntimePlugin } from './channels-runtime-plugin.js';
export type { ChannelsRuntimePluginOptions } from './channels-runtime-plugin.js';
export { FileLeaseProvider } from './file-lease-provider.js';
export type { FileLeaseProviderOptions } from './file-lease-provider.js';
export { controlUiRuntimePlugin } from './control-ui-runtime-plugin.js';
export type { ControlUiRuntimePluginOptions } from './control-ui-runtime-plugin.js';
