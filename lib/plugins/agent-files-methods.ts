import type { AgentService } from '../agents/agent-service.js';
import { WorkspaceFiles } from '../agents/workspace-files.js';
import { GatewayError } from '../errors.js';
import type { GatewayHost } from '../plugin.js';

/** `agents.files.list|get|set`: the bootstrap files (AGENTS.md, SOUL.md, …) of an agent's workspace. */
export function registerAgentFilesMethods(gateway: GatewayHost, service: AgentService): void {
  const workspace = (agentId: string) => {
    const agent = service.settings.require(agentId);
    const dir = service.settings.workspaceOf(agent.id);
    if (!dir) throw new GatewayError('UNAVAILABLE', `agent "${agent.id}" has no workspace: set agents.defaults.workspace`);
    return { agentId: agent.id, workspace: dir, files: new WorkspaceFiles(dir) };
  };

  gateway.registerMethod('agents.files.list', async (params) => {
    const { agentId, workspace: dir, files } = workspace(params.agentId);
    return { agentId, workspace: dir, files: await files.list() };
  });

  gateway.registerMethod('agents.files.get', async (params) => {
    const { agentId, workspace: dir, files } = workspace(params.agentId);
    return { agentId, workspace: dir, file: await files.get(params.name) };
  });

  gateway.registerMethod('agents.files.set', async (params) => {
    const { agentId, workspace: dir, files } = workspace(params.agentId);
    return { ok: true as const, agentId, workspace: dir, file: await files.set(params.name, params.content) };
  });
}
