import { FileStorage } from '../lib/file-storage.js';
import { execApprovalsPlugin } from '../lib/plugins/exec-approvals-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** Exec approvals over `<state>/exec-approvals.json`, and the gate on `system.run` to nodes. */
export function execApprovalsRuntimePlugin(): RuntimePlugin {
  return {
    name: 'exec-approvals',
    gatewayPlugins: ({ stateDir }) => [execApprovalsPlugin({ storage: new FileStorage(stateDir) })],
  };
}
