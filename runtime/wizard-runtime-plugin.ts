import { wizardPlugin } from '../lib/plugins/wizard-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** Onboarding over RPC (`wizard.*`), offering the profile's workspace. */
export function wizardRuntimePlugin(): RuntimePlugin {
  return {
    name: 'wizard',
    gatewayPlugins: ({ workspaceDir }) => [wizardPlugin({ workspaceDir })],
  };
}
