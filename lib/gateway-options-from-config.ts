import { FileStorage } from './file-storage.js';
import type { GatewayOptions } from './gateway.js';
import type { Logger } from './logger.js';
import type { OpenClawConfig } from './protocol/generated/config.js';
import type { GatewayAuthConfig } from './shared-auth.js';
import { policyConfig } from './config/own-settings.js';
import { AgentSettings } from './agents/agent-settings.js';

export interface GatewayOptionsFromConfigInput {
  config: OpenClawConfig;
  auth: GatewayAuthConfig;
  stateDir: string;
  configPath?: string;
  version: string;
  logger?: Logger;
}

/** Maps a validated config file onto Gateway options: the one assembly the CLI and embedders share. */
export function gatewayOptionsFromConfig(input: GatewayOptionsFromConfigInput): GatewayOptions {
  const gw = input.config.gateway ?? {};
  const defaultAgent = AgentSettings.fromConfig(input.config).defaultAgentId;
  return {
    auth: input.auth,
    version: input.version,
    policy: policyConfig(input.config),
    storage: new FileStorage(input.stateDir),
    stateDir: input.stateDir,
    configPath: input.configPath,
    logger: input.logger,
    controlUi: {
      allowInsecureAuth: gw.controlUi?.allowInsecureAuth,
      dangerouslyDisableDeviceAuth: gw.controlUi?.dangerouslyDisableDeviceAuth,
    },
    trustedProxies: gw.trustedProxies,
    nodes: { allowCommands: gw.nodes?.allowCommands, denyCommands: gw.nodes?.denyCommands },
    defaultAgentId: defaultAgent,
  };
}
