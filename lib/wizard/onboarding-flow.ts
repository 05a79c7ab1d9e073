import { generateGatewayToken, OPENAI_COMPATIBLE_PROVIDER_ID, type OnboardingAnswers } from './onboarding-config.js';
import type { WizardPrompter } from './wizard-prompter.js';

export interface OnboardingFlowOptions {
  /** A token or password is configured already: offer to keep it. */
  hasSecret: boolean;
  /** The workspace offered first. */
  workspace: string;
  /**
   * `ask`: a confirm step whose answer comes back as `installService` (the CLI installs it);
   * `note`: a note saying how to install it on the gateway host (over RPC, where a remote
   * client cannot drive the host's service manager).
   */
  service: 'ask' | 'note';
  /**
   * Show a generated token in a note step: over RPC the client has no other way to learn the
   * secret it needs after the restart (the CLI prints it itself).
   */
  announceGeneratedToken?: boolean;
  version: string;
  command: string;
  now: () => number;
}

export interface OnboardingResult {
  answers: OnboardingAnswers;
  installService: boolean;
}

/** The onboarding questions, in order: gateway auth, model provider, channels, workspace, service. */
export async function runOnboardingFlow(prompter: WizardPrompter, options: OnboardingFlowOptions): Promise<OnboardingResult> {
  await prompter.note('intro', 'Sets up gateway auth, a model provider, channels, the agent workspace and the background service.', 'OpenClaw setup');

  const authMode = await prompter.select({
    id: 'auth.mode',
    message: 'Gateway auth',
    options: [
      ...(options.hasSecret ? [{ value: 'keep' as const, label: 'Keep the current secret' }] : []),
      { value: 'token' as const, label: 'Token', hint: 'recommended; generated when left empty' },
      { value: 'password' as const, label: 'Password' },
    ],
    initialValue: options.hasSecret ? 'keep' : 'token',
  });
  let auth: OnboardingAnswers['auth'] = { mode: 'keep' };
  if (authMode === 'token') {
    const token = await prompter.text({ id: 'auth.token', message: 'Gateway token (leave empty to generate one)', sensitive: true, optional: true });
    auth = { mode: 'token', token: token || generateGatewayToken() };
    if (!token && options.announceGeneratedToken) {
      await prompter.note('auth.generated', `The generated gateway token is ${auth.token} — keep it: clients need it to connect once the new settings are in force.`, 'Gateway token');
    }
  } else if (authMode === 'password') {
    auth = { mode: 'password', password: await prompter.text({ id: 'auth.password', message: 'Gateway password', sensitive: true }) };
  }

  const providerKind = await prompter.select({
    id: 'model.provider',
    message: 'Model provider',
    options: [
      { value: 'openai-compatible' as const, label: 'OpenAI-compatible API', hint: 'base URL + API key' },
      { value: 'skip' as const, label: 'Skip for now' },
    ],
    initialValue: 'openai-compatible',
  });
  let provider: OnboardingAnswers['provider'];
  if (providerKind === 'openai-compatible') {
    const baseUrl = await prompter.text({ id: 'model.baseUrl', message: 'Base URL', initialValue: 'https://api.openai.com/v1' });
    const apiKey = await prompter.text({ id: 'model.apiKey', message: 'API key (empty for none)', sensitive: true, optional: true });
    const model = await prompter.text({ id: 'model.id', message: 'Model id', placeholder: 'the model name the API expects' });
    provider = { id: OPENAI_COMPATIBLE_PROVIDER_ID, baseUrl, model, ...(apiKey ? { apiKey } : {}) };
  }

  const channelIds = await prompter.multiselect({
    id: 'channels',
    message: 'Channels',
    options: [
      { value: 'telegram' as const, label: 'Telegram', hint: 'bot token from @BotFather' },
      { value: 'whatsapp' as const, label: 'WhatsApp', hint: 'link later with: openclaw channels login' },
    ],
  });
  const channels: OnboardingAnswers['channels'] = {};
  if (channelIds.includes('telegram')) {
    channels.telegram = { botToken: await prompter.text({ id: 'channels.telegram.botToken', message: 'Telegram bot token', sensitive: true }) };
  }
  if (channelIds.includes('whatsapp')) channels.whatsapp = true;

  const workspace = await prompter.text({ id: 'workspace', message: 'Agent workspace folder', initialValue: options.workspace });

  let installService = false;
  if (options.service === 'ask') {
    installService = await prompter.confirm({ id: 'service', message: 'Install the gateway as a background service?', initialValue: false });
  } else {
    await prompter.note('service', 'Service install is not run over RPC: on the gateway host, run `openclaw gateway install`.', 'Background service');
  }

  return {
    answers: { auth, provider, channels, workspace, run: { at: new Date(options.now()).toISOString(), version: options.version, command: options.command } },
    installService,
  };
}
