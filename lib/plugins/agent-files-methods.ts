import type { AgentService } from '../agents/agent-service.js';
import { GatewayError } from '../errors.js';
import type { GatewayHost } from '../plugin.js';

/** `agents.files.list|get|set`: the bootstrap files (AGENTS.md, SOUL.md, …) of an agent's workspace. */
export function registerAgentFilesMethods(gateway: GatewayHost, service: AgentService): void {
  const workspace = async (agentId: string) => {
    const agent = service.settings.require(agentId);
    const dir = service.settings.workspaceOf(agent.id);
    if (!dir) throw new GatewayError('UNAVAILABLE', `agent "${agent.id}" has no workspace: set agents.defaults.workspace`);
    // The workspace files' code is for these methods alone: loaded at their first call.
    const { WorkspaceFiles } = await import('../agents/workspace-files.js');
    return { agentId: agent.id, workspace: dir, files: new WorkspaceFiles(dir) };
  };

  gateway.registerMethod('agents.files.list', async (params) => {
    const { agentId, workspace: dir, files } = await workspace(params.agentId);
    return { agentId, workspace: dir, files: await files.list() };
  });

  gateway.registerMethod('agents.files.get', async (params) => {
    const { agentId, workspace: dir, files } = await workspace(params.agentId);
    return { agentId, workspace: dir, file: await files.get(params.name) };
  });

  gateway.registerMethod('agents.files.set', async (params) => {
    const { agentId, workspace: dir, files } = await workspace(params.agentId);
    return { ok: true as const, agentId, workspace: dir, file: await files.set(params.name, params.content) };
  });
}
