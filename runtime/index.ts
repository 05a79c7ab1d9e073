// The package root: the I/O-free core and the runtime that runs it as a whole gateway.
export * from '../lib/index.js';
export { createGatewayRuntime, EMBEDDED_CONFIG_FILE } from './create-gateway-runtime.js';
export type { CreateGatewayRuntimeOptions } from './create-gateway-runtime.js';
export { GatewayRuntime, RESTART_EXPECTED_MS } from './gateway-runtime.js';
export type { GatewayRuntimeEvents, GatewayRuntimeOptions, RuntimeEnvironment, RuntimeOverrides } from './gateway-runtime.js';
export type { ChannelReload, ChannelReloadHook, RuntimeContext, RuntimePlugin, RuntimeReloadHooks, RuntimeSetupContext } from './runtime-plugin.js';
export { runtimePlugins } from './runtime-plugins.js';
export type { RuntimePluginsOptions } from './runtime-plugins.js';
export { agentsRuntimePlugin } from './agents-runtime-plugin.js';
export { canvasHostRuntimePlugin } from './canvas-host-runtime-plugin.js';
export { channelsRuntimePlugin } from './channels-runtime-plugin.js';
export type { ChannelsRuntimePluginOptions } from './channels-runtime-plugin.js';
export { controlUiRuntimePlugin } from './control-ui-runtime-plugin.js';
export type { ControlUiRuntimePluginOptions } from './control-ui-runtime-plugin.js';
