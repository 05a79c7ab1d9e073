import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { isPlainObject } from '../config/merge-patch.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import { configService } from '../services.js';
import type { WizardSession } from '../wizard/wizard-session.js';

export interface WizardPluginOptions {
  /** The workspace offered when `wizard.start` names none. */
  workspaceDir: string;
}

/** Finished sessions kept for `wizard.status`. */
const KEPT_SESSIONS = 16;

/**
 * `wizard.start|next|cancel|status`: the onboarding steps over RPC, one run at a time. The
 * answers are written to the config file through the config service when the last step is
 * answered; gateway auth changes then take effect through the usual reload (a restart).
 */
export function wizardPlugin(options: WizardPluginOptions): GatewayPlugin {
  const sessions = new Map<string, WizardSession>();
  const find = (sessionId: string) => {
    const session = sessions.get(sessionId);
    if (!session) throw invalidRequest(`wizard not found: ${sessionId}`);
    return session;
  };
  return {
    name: 'wizard',
    setup(gateway) {
      gateway.registerMethod('wizard.start', async (params) => {
        if ([...sessions.values()].some((s) => s.status === 'running')) throw invalidRequest('wizard already running');
        if (params.mode === 'remote') throw invalidRequest('remote-mode onboarding configures a client, not this gateway: run `openclaw onboard` on the client machine');
        if (params.flow === 'channels') throw invalidRequest('wizard flow "channels" is not offered; use the setup flow');
        const manager = gateway.optionalService(configService);
        if (!manager) throw new GatewayError('UNAVAILABLE', 'the wizard needs the config file service, which this gateway does not run');
        // The onboarding steps and their session are for this method alone: loaded at its first call.
        const [{ WizardSession }, { runOnboardingFlow }, { applyOnboarding, hasGatewaySecret }] = await Promise.all([
          import('../wizard/wizard-session.js'),
          import('../wizard/onboarding-flow.js'),
          import('../wizard/onboarding-config.js'),
        ]);
        const snapshot = await manager.get();
        const current = isPlainObject(snapshot.parsed) ? snapshot.parsed : {};
        const session = new WizardSession(randomUUID(), async (prompter) => {
          const { answers } = await runOnboardingFlow(prompter, {
            hasSecret: hasGatewaySecret(current),
            workspace: params.workspace ?? options.workspaceDir,
            service: 'note',
            announceGeneratedToken: true,
            version: gateway.version,
            command: 'wizard.start',
            now: () => gateway.clock.now(),
          });
          await mkdir(answers.workspace, { recursive: true });
          await manager.edit('wizard', (parsed) => applyOnboarding(parsed, answers));
          gateway.logger.log('info', 'gateway/wizard', 'onboarding answers written to the config file');
        });
        for (const [id, old] of sessions) if (sessions.size >= KEPT_SESSIONS && old.status !== 'running') sessions.delete(id);
        sessions.set(session.id, session);
        return { sessionId: session.id, ...(await session.current()) };
      });
      gateway.registerMethod('wizard.next', (params) => find(params.sessionId).next(params.answer));
      gateway.registerMethod('wizard.cancel', (params) => {
        const session = find(params.sessionId);
        session.cancel();
        return { status: session.status, ...(session.error ? { error: session.error } : {}) };
      });
      gateway.registerMethod('wizard.status', (params) => {
        const session = find(params.sessionId);
        return { status: session.status, ...(session.error ? { error: session.error } : {}) };
      });
    },
  };
}
