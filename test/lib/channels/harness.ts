import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramChannel } from '../../../channels/telegram.js';
import { WhatsAppChannel } from '../../../channels/whatsapp.js';
import type { AgentService } from '../../../lib/agents/agent-service.js';
import { AgentSettings } from '../../../lib/agents/agent-settings.js';
import type { ChannelDefinition } from '../../../lib/channel.js';
import type { ChannelManager, ChannelsConfig } from '../../../lib/channels/channel-manager.js';
import type { InboundOutcome } from '../../../lib/channels/inbound-router.js';
import { systemClock } from '../../../lib/clock.js';
import { FileStorage } from '../../../lib/file-storage.js';
import { Gateway } from '../../../lib/gateway.js';
import type { GatewayPlugin } from '../../../lib/plugin.js';
import { agentPlugins } from '../../../lib/plugins/agents-plugin.js';
import { channelsPlugin } from '../../../lib/plugins/channels-plugin.js';
import type { OpenClawConfig } from '../../../lib/protocol/generated/config.js';
import { ModelCatalog } from '../../../lib/providers/model-catalog.js';
import { agentsService, channelsService } from '../../../lib/services.js';
import { SessionStore } from '../../../lib/sessions/session-store.js';
import { BotApiStub } from '../../channels/bot-api-stub.js';
import { fakeWaNetwork, type FakeWaNetwork } from '../../channels/fake-wa-socket.js';
import { recordingLogger, type RecordingLogger } from '../../channels/helpers.js';
import { FakeModelServer } from '../../helpers/fake-model-server.js';
import { TOKEN } from '../../helpers/connect.js';

/**
 * A gateway with the real agent engine (answering from a local OpenAI-compatible stand-in), the
 * real Telegram channel (against a Bot API stand-in) and the real WhatsApp channel (over an
 * injected Baileys-shaped socket), installed as the agents and channels plugins on a default gateway.
 */
export interface ChannelHarness {
  gateway: Gateway;
  manager: ChannelManager;
  stub: BotApiStub;
  model: FakeModelServer;
  wa: FakeWaNetwork;
  stateDir: string;
  logger: RecordingLogger;
  agents: AgentService;
  /** Resolves with the outcome of the next inbound message (or the next one matching). */
  nextInbound(predicate?: (o: InboundOutcome, text: string) => boolean, timeoutMs?: number): Promise<InboundOutcome>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** `channels` of the config; `TELEGRAM` (the string) stands for the stub's apiRoot and token. */
  channels?: (stub: BotApiStub) => ChannelsConfig;
}

export async function startHarness(options: HarnessOptions = {}): Promise<ChannelHarness> {
  const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-channels-'));
  const stub = await new BotApiStub().start();
  const model = await FakeModelServer.start('openai');
  const wa = fakeWaNetwork();
  const logger = recordingLogger();
  const config: OpenClawConfig = {
    models: { providers: { local: { baseUrl: model.baseUrl, apiKey: 'test-key', api: 'openai-completions', models: [{ id: 'stand-in' }] } } },
    agents: { defaults: { model: 'local/stand-in' } },
  };
  const clock = systemClock;
  const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, stateDir, logger, clock });
  const storage = new FileStorage(stateDir);
  const definitions: ChannelDefinition[] = [
    {
      id: 'whatsapp',
      label: 'WhatsApp',
      loginCreatesAccount: true,
      create: (ctx) => WhatsAppChannel.fromConfig(ctx, { socketFactory: wa.factory }),
    },
    {
      id: 'telegram',
      label: 'Telegram',
      create: (ctx) => TelegramChannel.fromConfig(ctx, { backoff: { initialMs: 20, maxMs: 100, jitter: 0 } }),
    },
  ];
  const outcomes: { outcome: InboundOutcome; text: string }[] = [];
  const waiters = new Set<() => void>();
  const plugins: GatewayPlugin[] = [
    ...agentPlugins({
      models: ModelCatalog.fromConfig(config, { env: {} }),
      sessions: new SessionStore({ storage, logger, now: () => clock.now() }),
      settings: AgentSettings.fromConfig(config),
      builtinTools: false,
    }),
    channelsPlugin({
      definitions,
      config: options.channels?.(stub) ?? { telegram: { botToken: stub.token, apiRoot: stub.apiRoot, dmPolicy: 'open' } },
      storage,
      stateDir,
      logger,
    }),
    {
      // Listens from setup on, before the accounts start, so no inbound message is missed.
      name: 'inbound-recorder',
      setup(host) {
        host.service(channelsService).on('inbound', ({ message, outcome }) => {
          outcomes.push({ outcome, text: message.text });
          for (const w of [...waiters]) w();
        });
      },
    },
  ];
  for (const plugin of plugins) gateway.use(plugin);
  // Loads the session indexes, then starts the channel accounts (the plugins' start, in order).
  await gateway.start();
  const agents = gateway.service(agentsService);
  const manager = gateway.service(channelsService);
  let read = 0;
  return {
    gateway,
    manager,
    stub,
    model,
    wa,
    stateDir,
    logger,
    agents,
    nextInbound(predicate = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (read < outcomes.length) {
            const entry = outcomes[read++]!;
            if (predicate(entry.outcome, entry.text)) {
              clearTimeout(timer);
              waiters.delete(check);
              resolve(entry.outcome);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching inbound outcome within ${timeoutMs} ms; seen ${JSON.stringify(outcomes)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      // Stops the channel accounts, then aborts running turns (the plugins' stop, in reverse).
      await gateway.close();
      await stub.close();
      await model.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
