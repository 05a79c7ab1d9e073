import type { SkillInstallOption, SkillRequirements, SkillStatusEntry, SkillsInstallResult, SkillsStatusResult } from '../../../lib/protocol/generated/types.js';
import { badge, h, replaceChildren } from '../dom.js';
import { methodErrorNote } from './method-error.js';
import { hasScope } from './scopes.js';
import { inBackground, section, unavailable, type View, type ViewContext } from './view.js';

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * Skills: where they come from, whether each can run here and what it still needs (binaries,
 * environment, config keys, OS), its installers with live progress, enable/disable and the API
 * key of its primary environment variable (`skills.update`).
 */
export class SkillsView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #summary = h('div');
  readonly #filter = h('input', { id: 'skills-filter', type: 'search', name: 'filter', placeholder: 'name or description', autocomplete: 'off' });
  readonly #list = h('div', { class: 'skills-list', 'data-testid': 'skills-list' });
  readonly #body: HTMLElement;
  #status: SkillsStatusResult | undefined;
  /** Installs in flight by skill, kept across re-renders so progress survives a refresh. */
  readonly #installing = new Map<string, { label: string; startedMs: number }>();
  /** The last install or update outcome of each skill, shown on its card until the next action. */
  readonly #outcome = new Map<string, HTMLElement>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#filter.addEventListener('input', () => this.#render());
    this.#body = h(
      'div',
      { class: 'view-body' },
      section('skills-summary-title', 'Skill folders', this.#summary),
      section('skills-list-title', 'Skills', h('div', { class: 'logs-toolbar' }, h('label', { for: 'skills-filter' }, 'Filter'), this.#filter), this.#list),
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
  }

  show(): void {
    if (!this.#ctx.session.has('skills.status')) {
      replaceChildren(this.el, unavailable('skills.status'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    inBackground(this.#ctx.session, 'skills view', this.#load());
  }

  hide(): void {}

  async #load(): Promise<void> {
    try {
      this.#status = await this.#ctx.session.client.call('skills.status', {});
    } catch (err) {
      replaceChildren(this.#list, methodErrorNote('skills.status', err));
      return;
    }
    const s = this.#status;
    const ready = s.skills.filter((k) => k.eligible && !k.disabled).length;
    replaceChildren(
      this.#summary,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Workspace'),
        h('dd', { class: 'mono' }, s.workspaceDir),
        h('dt', {}, 'Managed'),
        h('dd', { class: 'mono' }, s.managedSkillsDir),
        h('dt', {}, 'Ready'),
        h('dd', {}, `${ready} of ${s.skills.length}`),
      ),
    );
    this.#render();
  }

  #render(): void {
    const skills = this.#status?.skills ?? [];
    const filter = this.#filter.value.trim().toLowerCase();
    const shown = skills.filter((s) => !filter || `${s.name} ${s.description} ${s.skillKey}`.toLowerCase().includes(filter));
    if (skills.length === 0) replaceChildren(this.#list, h('p', { class: 'empty' }, 'No skills found in the workspace, managed or extra skill folders.'));
    else if (shown.length === 0) replaceChildren(this.#list, h('p', { class: 'empty' }, 'No skill matches the filter.'));
    else replaceChildren(this.#list, ...shown.map((s) => this.#card(s)));
  }

  #card(skill: SkillStatusEntry): HTMLElement {
    const { session } = this.#ctx;
    const titleId = `skill-${cssId(skill.skillKey)}-title`;
    const state = skill.disabled
      ? badge('disabled', 'muted')
      : skill.blockedByAllowlist
        ? badge('blocked by allowlist', 'bad')
        : skill.eligible
          ? badge('ready', 'ok')
          : badge('needs setup', 'warn');
    const installing = this.#installing.get(skill.skillKey);
    const card = h(
      'article',
      { class: 'card skill', 'aria-labelledby': titleId, 'aria-busy': installing ? 'true' : 'false', 'data-skill': skill.skillKey },
      h('h3', { id: titleId }, skill.emoji ? `${skill.emoji} ` : '', skill.name, ' ', state, skill.always ? badge('always on', 'muted') : null),
      h('p', {}, skill.description || h('span', { class: 'muted' }, 'No description.')),
      h('p', { class: 'muted' }, `${skill.source} · `, h('span', { class: 'mono' }, skill.filePath), skill.homepage ? h('span', {}, ' · ', h('a', { href: skill.homepage, target: '_blank', rel: 'noopener noreferrer' }, 'homepage')) : null),
      requirementsList(skill),
    );
    const actions = h('div', { class: 'actions' });
    // Installing and changing skills take operator.admin; a read-only operator sees their state.
    const admin = hasScope(session, 'operator.admin');
    if (admin && session.has('skills.install')) {
      for (const option of skill.install) {
        actions.append(
          h(
            'button',
            { type: 'button', disabled: installing !== undefined, onclick: () => inBackground(session, 'skills view', this.#install(skill, option)) },
            option.label,
          ),
        );
      }
    }
    if (admin && session.has('skills.update')) {
      actions.append(
        h('button', { type: 'button', 'aria-label': `${skill.disabled ? 'Enable' : 'Disable'} ${skill.name}`, onclick: () => inBackground(session, 'skills view', this.#update(skill, { enabled: skill.disabled }, skill.disabled ? 'Enabled.' : 'Disabled.')) }, skill.disabled ? 'Enable' : 'Disable'),
      );
    }
    card.append(actions);
    if (admin && session.has('skills.update')) {
      if (skill.primaryEnv) card.append(this.#valueForm(skill, skill.primaryEnv, `API key (${skill.primaryEnv})`, 'Save key'));
      // Other variables the skill still lacks can be set for it alone (skills.entries.<key>.env).
      for (const name of skill.missing.env.filter((n) => n !== skill.primaryEnv)) card.append(this.#valueForm(skill, name, name, `Set ${name}`));
    }
    if (installing) {
      card.append(
        h(
          'div',
          { class: 'install-progress', role: 'status' },
          h('progress', { 'aria-label': `${installing.label} in progress` }),
          h('span', { 'data-started': installing.startedMs }, `${installing.label}… ${elapsed(installing.startedMs)}`),
        ),
      );
    }
    const outcome = this.#outcome.get(skill.skillKey);
    if (outcome && !installing) card.append(outcome);
    return card;
  }

  /** The API key of the primary variable (`apiKey`), or another variable's value (`env`). */
  #valueForm(skill: SkillStatusEntry, name: string, label: string, action: string): HTMLElement {
    const id = `skill-${cssId(skill.skillKey)}-${cssId(name)}`;
    const input = h('input', { id, name, type: 'password', autocomplete: 'off', spellcheck: false });
    const form = h('form', { class: 'field-row' }, h('label', { for: id }, label), input, h('button', { type: 'submit' }, action));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) {
        this.#outcome.set(skill.skillKey, h('p', { class: 'error', role: 'alert' }, `Enter the value of ${name} first.`));
        this.#render();
        return;
      }
      const patch = name === skill.primaryEnv ? { apiKey: value } : { env: { [name]: value } };
      inBackground(this.#ctx.session, 'skills view', this.#update(skill, patch, name === skill.primaryEnv ? `Saved the key for ${name}.` : `Set ${name}.`));
    });
    return form;
  }

  async #update(skill: SkillStatusEntry, patch: { enabled?: boolean; apiKey?: string; env?: Record<string, string> }, done: string): Promise<void> {
    try {
      await this.#ctx.session.client.call('skills.update', { skillKey: skill.skillKey, ...patch });
      this.#outcome.set(skill.skillKey, h('p', { class: 'ok-text', role: 'status' }, `${skill.name}: ${done}`));
    } catch (err) {
      this.#outcome.set(skill.skillKey, methodErrorNote('skills.update', err));
    }
    await this.#load();
    this.#focusCard(skill.skillKey);
  }

  async #install(skill: SkillStatusEntry, option: SkillInstallOption): Promise<void> {
    this.#installing.set(skill.skillKey, { label: option.label, startedMs: Date.now() });
    this.#outcome.delete(skill.skillKey);
    this.#render();
    this.#startTicker();
    let outcome: HTMLElement;
    try {
      const result = await this.#ctx.session.client.call('skills.install', { name: skill.name, installId: option.id, timeoutMs: INSTALL_TIMEOUT_MS }, { timeoutMs: INSTALL_TIMEOUT_MS + 30_000 });
      outcome = installOutput(result, result.ok ? h('p', { class: 'ok-text', role: 'status' }, result.message) : h('p', { class: 'error', role: 'alert' }, `skills.install failed: ${result.message}`));
    } catch (err) {
      // A failed installer's exit code and stderr travel in the error's details: shown under the message.
      const details = (err as { details?: unknown }).details;
      outcome = installOutput(isInstallOutput(details) ? details : undefined, methodErrorNote('skills.install', err));
    } finally {
      this.#installing.delete(skill.skillKey);
    }
    this.#outcome.set(skill.skillKey, outcome);
    await this.#load();
    this.#focusCard(skill.skillKey);
  }

  /** Counts the seconds of every install in flight, in place, without re-rendering the cards. */
  #startTicker(): void {
    if (this.#ticker !== undefined) return;
    this.#ticker = setInterval(() => {
      if (this.#installing.size === 0) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
        return;
      }
      for (const span of Array.from(this.#list.querySelectorAll<HTMLElement>('.install-progress span[data-started]'))) {
        const skillKey = span.closest<HTMLElement>('[data-skill]')?.dataset.skill;
        const job = skillKey ? this.#installing.get(skillKey) : undefined;
        if (job) span.textContent = `${job.label}… ${elapsed(job.startedMs)}`;
      }
    }, 1_000);
  }

  #focusCard(skillKey: string): void {
    const card = this.#list.querySelector<HTMLElement>(`[data-skill="${CSS.escape(skillKey)}"]`);
    const target = card?.querySelector<HTMLElement>('[role="alert"], [role="status"]') ?? card?.querySelector<HTMLElement>('button');
    if (target && !target.matches('button')) target.setAttribute('tabindex', '-1');
    target?.focus();
  }
}

const REQUIREMENT_LABELS: Array<[keyof SkillRequirements, string]> = [
  ['bins', 'Programs'],
  ['anyBins', 'One of these programs'],
  ['env', 'Environment'],
  ['config', 'Config keys'],
  ['os', 'Operating system'],
];

function requirementsList(skill: SkillStatusEntry): HTMLElement {
  const items: HTMLElement[] = [];
  for (const [key, label] of REQUIREMENT_LABELS) {
    const wanted = skill.requirements[key];
    if (wanted.length === 0) continue;
    const missing = new Set(skill.missing[key]);
    items.push(
      h(
        'li',
        {},
        `${label}: `,
        ...wanted.flatMap((name, i) => [
          i > 0 ? ', ' : '',
          h('span', { class: missing.has(name) ? 'req-missing' : 'req-ok' }, name, ' ', missing.has(name) ? badge('missing', 'bad') : badge('ok', 'ok')),
        ]),
      ),
    );
  }
  for (const check of skill.configChecks) {
    if (skill.requirements.config.includes(check.path)) continue;
    items.push(h('li', {}, 'Config: ', h('span', { class: 'mono' }, check.path), ' ', check.satisfied ? badge('set', 'ok') : badge('not set', 'bad')));
  }
  if (items.length === 0) return h('p', { class: 'muted' }, 'No requirements.');
  return h('ul', { class: 'requirements', 'aria-label': `Requirements of ${skill.name}` }, ...items);
}

type InstallOutput = Partial<Pick<SkillsInstallResult, 'stdout' | 'stderr' | 'code'>>;

function installOutput(result: InstallOutput | undefined, message: HTMLElement): HTMLElement {
  const out = [result?.stdout, result?.stderr].filter((s): s is string => !!s && s.trim() !== '').join('\n');
  return h(
    'div',
    { class: 'install-outcome' },
    message,
    out ? h('details', {}, h('summary', {}, `Output${result?.code !== undefined && result.code !== null ? ` (exit code ${result.code})` : ''}`), h('pre', { class: 'code', tabindex: 0 }, out)) : null,
  );
}

function isInstallOutput(value: unknown): value is InstallOutput {
  return typeof value === 'object' && value !== null && ('stdout' in value || 'stderr' in value);
}

function elapsed(startedMs: number): string {
  return `${Math.max(0, Math.round((Date.now() - startedMs) / 1000))}s`;
}

function cssId(key: string): string {
  return key.replace(/[^\w-]/g, '_');
}
