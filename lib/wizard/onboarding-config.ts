import { randomBytes } from 'node:crypto';
import { isPlainObject } from '../config/merge-patch.js';

/** What onboarding decides, from wizard answers or from `openclaw setup --non-interactive` flags. */
export interface OnboardingAnswers {
  /** `keep` leaves `gateway.auth` as it is (a secret is already configured). */
  auth: { mode: 'token'; token: string } | { mode: 'password'; password: string } | { mode: 'keep' };
  /** An OpenAI-compatible provider under `models.providers.<id>`, made the default model. */
  provider?: { id: string; baseUrl: string; apiKey?: string; model: string };
  channels: { telegram?: { botToken: string }; whatsapp?: boolean };
  workspace: string;
  /** Recorded under `wizard.*`. */
  run: { at: string; version: string; command: string };
}

export const OPENAI_COMPATIBLE_PROVIDER_ID = 'openai';

/** A new gateway token: 24 random bytes as 48 hex characters. */
export function generateGatewayToken(): string {
  return randomBytes(24).toString('hex');
}

/**
 * The config file after onboarding: `answers` merged onto what is already there (other keys are
 * kept), spelled with upstream's keys so the upstream CLI reads the same file.
 */
export function applyOnboarding(current: Record<string, unknown>, answers: OnboardingAnswers): Record<string, unknown> {
  const config = structuredClone(current);
  const gateway = child(config, 'gateway');
  gateway.mode ??= 'local';
  if (answers.auth.mode === 'token') {
    const auth = child(gateway, 'auth');
    delete auth.password;
    Object.assign(auth, { mode: 'token', token: answers.auth.token });
  } else if (answers.auth.mode === 'password') {
    const auth = child(gateway, 'auth');
    delete auth.token;
    Object.assign(auth, { mode: 'password', password: answers.auth.password });
  }
  const defaults = child(child(config, 'agents'), 'defaults');
  defaults.workspace = answers.workspace;
  const provider = answers.provider;
  if (provider) {
    const providers = child(child(config, 'models'), 'providers');
    providers[provider.id] = {
      baseUrl: provider.baseUrl,
      ...(provider.apiKey ? { apiKey: provider.apiKey } : {}),
      api: 'openai-completions',
      models: [{ id: provider.model, name: provider.model }],
    };
    defaults.model = { ...(isPlainObject(defaults.model) ? defaults.model : {}), primary: `${provider.id}/${provider.model}` };
  }
  if (answers.channels.telegram) Object.assign(child(child(config, 'channels'), 'telegram'), { enabled: true, botToken: answers.channels.telegram.botToken });
  if (answers.channels.whatsapp) Object.assign(child(child(config, 'channels'), 'whatsapp'), { enabled: true });
  Object.assign(child(config, 'wizard'), {
    lastRunAt: answers.run.at,
    lastRunVersion: answers.run.version,
    lastRunCommand: answers.run.command,
    lastRunMode: 'local',
  });
  return config;
}

/** Whether a config already holds a gateway secret (a token or password, or a reference to one). */
export function hasGatewaySecret(config: Record<string, unknown>): boolean {
  const gateway = config.gateway;
  const auth = isPlainObject(gateway) ? gateway.auth : undefined;
  if (!isPlainObject(auth)) return false;
  const set = (v: unknown) => (typeof v === 'string' && v.trim() !== '') || isPlainObject(v);
  return set(auth.token) || set(auth.password);
}

function child(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (isPlainObject(value)) return value;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}
