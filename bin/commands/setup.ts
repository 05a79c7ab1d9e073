import { mkdir } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { ConfigManager } from '../../lib/config/config-manager.js';
import { GatewayError } from '../../lib/errors.js';
import type { WizardStep } from '../../lib/protocol/generated/types.js';
import { applyOnboarding, generateGatewayToken, hasGatewaySecret, OPENAI_COMPATIBLE_PROVIDER_ID, type OnboardingAnswers } from '../../lib/wizard/onboarding-config.js';
import { runOnboardingFlow } from '../../lib/wizard/onboarding-flow.js';
import { WizardPrompter, type AskStep } from '../../lib/wizard/wizard-prompter.js';
import { loadCliContext, type CliContext } from '../cli-context.js';
import { printJson, printLines } from '../rpc-action.js';
import { runServiceAction } from '../service/service-commands.js';
import { defaultServiceHost } from '../service/service-host.js';
import type { CommandKit, Flags } from './command-kit.js';

/**
 * `openclaw setup` / `openclaw onboard`: the onboarding steps (gateway auth, model provider,
 * channels, workspace, service) asked in the terminal, or taken from flags with
 * `--non-interactive`; the answers are merged into the profile's config file.
 */
export function registerSetupCommands(kit: CommandKit): void {
  for (const name of ['setup', 'onboard']) {
    kit.cli
      .command(name, 'Write the gateway config: auth, model provider, channels, workspace, service')
      .option('--non-interactive', 'Take every answer from flags; ask nothing')
      .option('--gateway-auth <mode>', 'token (default) | password')
      .option('--gateway-token <token>', 'Gateway token (default: keep the current one, else generate)')
      .option('--gateway-password <password>', 'Gateway password (with --gateway-auth password)')
      .option('--base-url <url>', 'OpenAI-compatible model provider base URL')
      .option('--api-key <key>', 'Model provider API key')
      .option('--model <id>', 'Model id at that provider (the default model)')
      .option('--telegram-bot-token <token>', 'Enable Telegram with this bot token')
      .option('--whatsapp', 'Enable WhatsApp (link it later with openclaw channels login)')
      .option('--workspace <dir>', 'Agent workspace folder')
      .option('--install-daemon', 'Install the gateway service afterwards')
      .option('--json', 'Print JSON')
      .action(async (flags: Flags) => runSetup(kit, name, flags));
  }
}

async function runSetup(kit: CommandKit, command: string, flags: Flags): Promise<number> {
  const ctx = await loadCliContext(kit.globals(flags));
  const manager = new ConfigManager({ path: ctx.configPath, env: ctx.env, stateDir: ctx.stateDir, version: ctx.version });
  const hasSecret = hasGatewaySecret(ctx.loaded.parsed as Record<string, unknown>);
  let answers: OnboardingAnswers;
  let installService = Boolean(flags.installDaemon);
  if (flags.nonInteractive) {
    answers = answersFromFlags(kit, flags, { ctx, hasSecret, command });
  } else {
    const result = await askInTerminal(async (prompter) =>
      runOnboardingFlow(prompter, {
        hasSecret,
        workspace: kit.str(flags, 'workspace') ?? ctx.workspaceDir,
        service: 'ask',
        version: ctx.version,
        command,
        now: Date.now,
      }),
    );
    answers = result.answers;
    installService ||= result.installService;
  }
  await mkdir(answers.workspace, { recursive: true });
  await manager.edit('wizard', (parsed) => applyOnboarding(parsed, answers));
  const summary = {
    configPath: ctx.configPath,
    workspace: answers.workspace,
    auth: answers.auth.mode,
    ...(answers.auth.mode === 'token' ? { token: answers.auth.token } : {}),
    ...(answers.provider ? { model: `${answers.provider.id}/${answers.provider.model}` } : {}),
    channels: Object.keys(answers.channels),
  };
  if (flags.json) printJson(summary);
  else {
    printLines([
      `Config written: ${summary.configPath}`,
      `Workspace: ${summary.workspace}`,
      answers.auth.mode === 'token' ? `Gateway token: ${answers.auth.token}` : `Gateway auth: ${answers.auth.mode}`,
      ...(summary.model ? [`Default model: ${summary.model}`] : []),
      ...(summary.channels.length ? [`Channels: ${summary.channels.join(', ')}`] : []),
    ]);
  }
  if (!installService) return 0;
  return runServiceAction(await loadCliContext(kit.globals(flags)), 'install', { json: Boolean(flags.json) }, defaultServiceHost(ctx));
}

function answersFromFlags(kit: CommandKit, flags: Flags, input: { ctx: CliContext; hasSecret: boolean; command: string }): OnboardingAnswers {
  const str = (name: string) => kit.str(flags, name);
  const mode = str('gateway-auth') ?? 'token';
  let auth: OnboardingAnswers['auth'];
  if (mode === 'password') {
    const password = str('gateway-password');
    if (!password) throw new GatewayError('INVALID_REQUEST', '--gateway-auth password needs --gateway-password');
    auth = { mode: 'password', password };
  } else if (mode === 'token') {
    const token = str('gateway-token');
    auth = token ? { mode: 'token', token } : input.hasSecret ? { mode: 'keep' } : { mode: 'token', token: generateGatewayToken() };
  } else {
    throw new GatewayError('INVALID_REQUEST', `--gateway-auth must be token or password, not ${mode}`);
  }
  const baseUrl = str('base-url');
  const model = str('model');
  if ((baseUrl === undefined) !== (model === undefined)) throw new GatewayError('INVALID_REQUEST', 'a model provider needs both --base-url and --model');
  const apiKey = str('api-key');
  const telegram = str('telegram-bot-token');
  return {
    auth,
    ...(baseUrl && model ? { provider: { id: OPENAI_COMPATIBLE_PROVIDER_ID, baseUrl, model, ...(apiKey ? { apiKey } : {}) } } : {}),
    channels: { ...(telegram ? { telegram: { botToken: telegram } } : {}), ...(flags.whatsapp ? { whatsapp: true } : {}) },
    workspace: str('workspace') ?? input.ctx.workspaceDir,
    run: { at: new Date().toISOString(), version: input.ctx.version, command: input.command },
  };
}

/** Runs a flow with each step asked on the terminal; a refused answer asks the same step again. */
async function askInTerminal<T>(flow: (prompter: WizardPrompter) => Promise<T>): Promise<T> {
  if (!process.stdin.isTTY) throw new GatewayError('INVALID_REQUEST', 'setup needs a terminal; pass --non-interactive with flags instead');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const ask: AskStep = async (step, parse) => {
    for (;;) {
      const raw = await rl.question(promptText(step));
      try {
        return parse(fromTerminal(step, raw));
      } catch (err) {
        process.stdout.write(`${(err as Error).message}\n`);
      }
    }
  };
  try {
    return await flow(new WizardPrompter(ask));
  } finally {
    rl.close();
  }
}

function promptText(step: WizardStep): string {
  const head = step.title ? `\n${step.title}\n` : '\n';
  if (step.type === 'note') return `${head}${step.message ?? ''}\n(press Enter) `;
  const options = step.options?.map((o, i) => `  ${i + 1}. ${o.label}${o.hint ? ` (${o.hint})` : ''}`).join('\n');
  const initial = step.initialValue === undefined || step.sensitive ? '' : ` [${Array.isArray(step.initialValue) ? step.initialValue.join(',') : String(step.initialValue)}]`;
  const hint = step.type === 'confirm' ? ' (y/n)' : step.type === 'multiselect' ? ' (numbers, comma-separated)' : '';
  return `${head}${options ? `${options}\n` : ''}${step.message ?? step.id}${hint}${initial}: `;
}

/** Terminal text to the value an RPC client would send; empty input takes the step's default. */
function fromTerminal(step: WizardStep, raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  const pick = (n: string) => step.options?.[Number(n) - 1]?.value ?? n;
  if (step.type === 'confirm') return /^y(es)?$/i.test(text) ? true : /^no?$/i.test(text) ? false : text;
  if (step.type === 'select') return pick(text);
  if (step.type === 'multiselect') return text.split(',').map((n) => pick(n.trim()));
  return text;
}
