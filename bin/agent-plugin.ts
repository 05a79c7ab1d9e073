import { registerAgentMethods, type AgentMethods } from '../lib/agents/agent-methods.js';
import { AgentSettings } from '../lib/agents/agent-settings.js';
import { GatewayError } from '../lib/errors.js';
import { FileStorage } from '../lib/file-storage.js';
import { ModelCatalog } from '../lib/providers/model-catalog.js';
import { SessionStore } from '../lib/sessions/session-store.js';
import { createChatCompletionsRoute } from '../transports/chat-completions-route.js';
import { createHooksRoute, type HookMapping } from '../transports/hooks-route.js';
import { createResponsesRoute } from '../transports/responses-route.js';
import { createToolsInvokeRoute } from '../transports/tools-invoke-route.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/**
 * Agent runs for `openclaw gateway`: providers from `models.providers` / `agents.*`, sessions
 * under `<state>/agents/<id>/sessions/`, the agent and chat methods, and the HTTP endpoints in
 * protocol §8 order: hooks, `/tools/invoke`, `/v1/responses`, `/v1/chat/completions`.
 */
export function agentRuntimePlugin(): RuntimePlugin {
  let methods: AgentMethods | undefined;
  return {
    name: 'agents',
    async setup({ gateway, http, config, env, stateDir, logger }) {
      const hooks = config.hooks;
      // Checked first: a hooks misconfiguration stops the start before anything is registered.
      const hooksRoute = hooks?.enabled
        ? createHooksRoute({
            gateway,
            token: hooks.token ?? '',
            path: hooks.path,
            maxBodyBytes: hooks.maxBodyBytes,
            mappings: hookMappings(hooks.mappings),
          })
        : undefined;

      const settings = AgentSettings.fromConfig(config, gateway.defaultAgentId);
      methods = registerAgentMethods(gateway, {
        models: ModelCatalog.fromConfig(config, { env }),
        sessions: new SessionStore({ storage: new FileStorage(stateDir), logger, now: () => gateway.clock.now() }),
        settings,
        toolPolicy: config.tools,
      });
      await methods.load();
      const { service } = methods;

      if (hooksRoute) http.add(hooksRoute);
      http.add(createToolsInvokeRoute({ agents: service }));
      const endpoints = config.gateway?.http?.endpoints;
      http.add(
        createResponsesRoute({
          agents: service,
          enabled: () => endpoints?.responses?.enabled === true,
          maxBodyBytes: endpoints?.responses?.maxBodyBytes,
        }),
      );
      http.add(createChatCompletionsRoute({ agents: service, enabled: () => endpoints?.chatCompletions?.enabled === true }));

      try {
        const model = service.runner.resolveModel(settings.defaultAgentId);
        logger.log('info', 'agent', `agent "${settings.defaultAgentId}" uses ${model.ref}`);
      } catch (err) {
        logger.log('warn', 'agent', `agent runs unavailable: ${(err as Error).message}`);
      }
    },
    stop() {
      methods?.close();
      methods = undefined;
    },
  };
}

function hookMappings(raw: ReadonlyArray<Record<string, unknown>> | undefined): HookMapping[] {
  return (raw ?? []).map((m, i) => {
    if (m.action !== undefined && m.action !== 'wake' && m.action !== 'agent') {
      throw new GatewayError('CONFIG_INVALID', `hooks.mappings[${i}].action must be "wake" or "agent"`);
    }
    if (m.transform !== undefined) {
      throw new GatewayError('CONFIG_INVALID', `hooks.mappings[${i}].transform is not supported by this gateway; use messageTemplate/textTemplate`);
    }
    return m as HookMapping;
  });
}
