import { AgentSettings } from '../lib/agents/agent-settings.js';
import { RunJournal } from '../lib/agents/run-journal.js';
import { UsageLedger } from '../lib/agents/usage-ledger.js';
import { drainTimeoutMs } from '../lib/config/own-settings.js';
import { FileStorage } from '../lib/file-storage.js';
import { agentPlugins } from '../lib/plugins/agents-plugin.js';
import { ModelCatalog } from '../lib/providers/model-catalog.js';
import { agentsService } from '../lib/services.js';
import { sessionMaintenanceFromConfig } from '../lib/sessions/session-maintenance.js';
import { SessionStore } from '../lib/sessions/session-store.js';
import type { hooksRouteConfig } from './hooks-route-config.js';
import { lazyRoute } from './lazy-route.js';
import type { RuntimePlugin } from './runtime-plugin.js';
import type { ClusterRuntime } from './cluster-runtime-plugin.js';

export interface AgentsRuntimePluginOptions {
  /** The running cluster, if any: sessions and transcripts then live in its shared store. */
  cluster?: () => ClusterRuntime | undefined;
}

/**
 * Agent runs: providers from `models.providers` / `agents.*`, sessions under
 * `<state>/agents/<id>/sessions/`, the agent, session and chat plugins, and the HTTP endpoints in
 * routing order (docs/protocol.md, HTTP surface): hooks, `/tools/invoke`, `/v1/responses`,
 * `/v1/chat/completions`. Each endpoint's module is loaded only when the config turns it on
 * (hooks, the OpenAI endpoints) or at its first request (`/tools/invoke`).
 */
export function agentsRuntimePlugin(options: AgentsRuntimePluginOptions = {}): RuntimePlugin {
  let hookConfig: ReturnType<typeof hooksRouteConfig> | undefined;
  return {
    name: 'agents',
    async gatewayPlugins({ config, env, stateDir, workspaceDir, logger, configPath }) {
      // Checked first: a hooks misconfiguration stops the start before anything is registered.
      hookConfig = config.hooks?.enabled ? (await import('./hooks-route-config.js')).hooksRouteConfig(config.hooks, configPath, [workspaceDir]) : undefined;
      return agentPlugins({
        models: ModelCatalog.fromConfig(config, { env }),
        sessions: new SessionStore({ storage: options.cluster?.()?.postgres?.storage ?? new FileStorage(stateDir), logger, maintenance: sessionMaintenanceFromConfig(config) }),
        settings: AgentSettings.fromConfig(config, undefined, { home: env.HOME, workspaceDir }),
        toolPolicy: config.tools,
        usage: new UsageLedger({ storage: new FileStorage(stateDir) }),
        runJournal: new RunJournal({ storage: new FileStorage(stateDir), logger }),
        drainTimeoutMs: drainTimeoutMs(config),
      });
    },
    async setup({ gateway, http, config, logger }) {
      const service = gateway.service(agentsService);
      const hooks = config.hooks;
      if (hooks?.enabled) {
        const { createHooksRoute } = await import('../endpoints/hooks-route.js');
        http.add(createHooksRoute({ gateway, logger, token: hooks.token ?? '', path: hooks.path, maxBodyBytes: hooks.maxBodyBytes, ...hookConfig }));
      }
      http.add(
        lazyRoute(
          (path) => path === '/tools/invoke',
          async () => (await import('../endpoints/tools-invoke-route.js')).createToolsInvokeRoute({ agents: service, gateway }),
        ),
      );
      const endpoints = config.gateway?.http?.endpoints;
      if (endpoints?.responses?.enabled === true) {
        const [{ createResponsesRoute }, { responseInputLimits }] = await Promise.all([import('../endpoints/responses-route.js'), import('../endpoints/response-inputs.js')]);
        http.add(
          createResponsesRoute({
            agents: service,
            gateway,
            enabled: () => true,
            maxBodyBytes: endpoints.responses.maxBodyBytes,
            inputLimits: responseInputLimits(endpoints.responses),
          }),
        );
      }
      if (endpoints?.chatCompletions?.enabled === true) {
        const { createChatCompletionsRoute } = await import('../endpoints/chat-completions-route.js');
        http.add(createChatCompletionsRoute({ agents: service, gateway, enabled: () => true }));
      }

      try {
        const model = service.runner.resolveModel(service.settings.defaultAgentId);
        logger.log('info', 'agent', `agent "${service.settings.defaultAgentId}" uses ${model.ref}`);
      } catch (err) {
        logger.log('warn', 'agent', `agent runs unavailable: ${(err as Error).message}`);
      }
    },
  };
}
