import type { ModelChoice, PresenceEntry } from '../../../lib/protocol/generated/types.js';
import { badge, formatAgo, formatTime, h, replaceChildren, table } from '../dom.js';
import { methodErrorNote, methodErrorText } from './method-error.js';
import { hasScope } from './scopes.js';
import { inBackground, section, unavailable, type View, type ViewContext } from './view.js';

type Json5 = { parse(text: string): unknown };

/**
 * What the gateway reports about itself, raw: `status`, `health`, `models.list`,
 * `last-heartbeat` and presence, each loaded on its own (one failing leaves the rest), plus a
 * method caller for operators that hold operator.admin.
 */
export class DebugView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #status = h('div');
  readonly #health = h('div');
  readonly #models = h('div');
  readonly #heartbeat = h('div');
  readonly #presence = h('div');
  readonly #caller = h('div');
  readonly #refresh = h('button', { type: 'button' }, 'Refresh');
  readonly #method = h('input', { id: 'debug-method', name: 'method', list: 'debug-methods', autocomplete: 'off', spellcheck: false, required: true, class: 'mono' });
  readonly #methods = h('datalist', { id: 'debug-methods' });
  readonly #params = h('textarea', { id: 'debug-params', name: 'params', rows: 6, spellcheck: false, class: 'code' }, '{}');
  readonly #result = h('div', { 'aria-live': 'polite', 'data-testid': 'debug-result' });
  readonly #call = h('button', { type: 'submit', class: 'primary' }, 'Call');
  readonly #body: HTMLElement;
  #json5: Json5 | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#refresh.addEventListener('click', () => inBackground(ctx.session, 'debug view', this.#load()));
    const form = h(
      'form',
      { 'aria-labelledby': 'debug-call-title' },
      h('p', { class: 'muted' }, 'Sends one request on this connection (it holds operator.admin) and shows the answer, or the error as the gateway gave it.'),
      h('div', { class: 'field' }, h('label', { for: 'debug-method' }, 'Method'), this.#method, this.#methods),
      h('div', { class: 'field' }, h('label', { for: 'debug-params' }, 'Params (JSON or JSON5)'), this.#params),
      h('div', { class: 'actions' }, this.#call),
      this.#result,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      inBackground(ctx.session, 'debug view', this.#callMethod());
    });
    this.#caller.append(form);
    this.#body = h(
      'div',
      { class: 'view-body' },
      h('div', { class: 'actions' }, this.#refresh),
      section('debug-heartbeat-title', 'Last heartbeat', this.#heartbeat),
      section('debug-models-title', 'Models', this.#models),
      section('debug-presence-title', 'Presence', this.#presence),
      section('debug-status-title', 'Status', this.#status),
      section('debug-health-title', 'Health', this.#health),
      h('section', { class: 'card', 'aria-labelledby': 'debug-call-title', 'data-testid': 'debug-caller' }, h('h2', { id: 'debug-call-title' }, 'Call a method'), this.#caller),
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('presence', (entries) => this.#renderPresence(entries));
  }

  show(): void {
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    const { session } = this.#ctx;
    const admin = hasScope(session, 'operator.admin');
    this.#caller.hidden = !admin;
    this.#caller.parentElement!.hidden = !admin;
    replaceChildren(this.#methods, ...(session.hello?.features.methods ?? []).map((m) => h('option', { value: m })));
    this.#renderPresence(session.presence);
    inBackground(session, 'debug view', this.#load());
  }

  hide(): void {}

  async #load(): Promise<void> {
    await Promise.all([
      this.#fill(this.#status, 'status', {}, (v) => json(v, 'Status answer')),
      this.#fill(this.#health, 'health', {}, (v) => json(v, 'Health answer')),
      this.#fill(this.#models, 'models.list', {}, (v) => modelsTable((v as { models: ModelChoice[] }).models)),
      this.#fill(this.#heartbeat, 'last-heartbeat', {}, heartbeat),
    ]);
  }

  /** One panel, one method: its answer rendered, or its error shown in the panel. */
  async #fill(panel: HTMLElement, method: string, params: unknown, render: (value: unknown) => HTMLElement): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has(method)) {
      replaceChildren(panel, unavailable(method));
      return;
    }
    try {
      replaceChildren(panel, render(await session.client.call<unknown, string>(method, params)));
    } catch (err) {
      replaceChildren(panel, methodErrorNote(method, err));
    }
  }

  #renderPresence(entries: PresenceEntry[]): void {
    replaceChildren(
      this.#presence,
      table(
        'Presence entries',
        ['Instance', 'Host', 'Mode', 'Reason', 'Roles', 'Seen'],
        entries.map((e) => [e.instanceId ?? e.deviceId ?? '—', e.host ?? '—', e.mode ?? '—', e.reason ?? '—', (e.roles ?? []).join(', ') || '—', formatAgo(e.ts)]),
        'No presence entries.',
      ),
    );
  }

  async #callMethod(): Promise<void> {
    const method = this.#method.value.trim();
    this.#method.removeAttribute('aria-invalid');
    this.#params.removeAttribute('aria-invalid');
    if (!method) {
      this.#method.setAttribute('aria-invalid', 'true');
      replaceChildren(this.#result, h('p', { class: 'error', role: 'alert' }, 'Name a method, such as health.'));
      this.#method.focus();
      return;
    }
    let params: unknown;
    const text = this.#params.value.trim();
    try {
      this.#json5 ??= ((m) => (m.default ?? m) as Json5)(await import('json5'));
      params = text === '' ? undefined : this.#json5.parse(text);
    } catch (err) {
      this.#params.setAttribute('aria-invalid', 'true');
      replaceChildren(this.#result, h('p', { class: 'error', role: 'alert' }, `The params are not valid JSON: ${err instanceof Error ? err.message : String(err)}`));
      this.#params.focus();
      return;
    }
    this.#call.disabled = true;
    replaceChildren(this.#result, h('p', { class: 'muted' }, `Calling ${method}…`));
    const started = Date.now();
    try {
      const value = await this.#ctx.session.client.call<unknown, string>(method, params);
      replaceChildren(this.#result, h('p', { class: 'ok-text', role: 'status' }, `${method} answered in ${Date.now() - started} ms`), json(value, `Result of ${method}`));
    } catch (err) {
      const details = (err as { details?: unknown }).details;
      replaceChildren(
        this.#result,
        h('p', { class: 'error', role: 'alert', 'data-method': method }, methodErrorText(method, err)),
        details === undefined ? null : json(details, `Error details of ${method}`),
      );
    } finally {
      this.#call.disabled = false;
    }
  }
}

function json(value: unknown, label: string): HTMLElement {
  return h('pre', { class: 'code', tabindex: 0, 'aria-label': label }, JSON.stringify(value, null, 2) ?? 'undefined');
}

function modelsTable(models: ModelChoice[]): HTMLElement {
  return table(
    'Configured models',
    ['Provider', 'Model', 'Name', 'Context', 'Reasoning', 'Input'],
    models.map((m) => [m.provider, h('span', { class: 'mono' }, m.id), m.name, m.contextWindow?.toLocaleString() ?? '—', m.reasoning ? 'yes' : 'no', (m.input ?? []).join(', ') || '—']),
    'No models configured.',
  );
}

function heartbeat(value: unknown): HTMLElement {
  if (value === null || typeof value !== 'object') return h('p', { class: 'muted' }, 'No heartbeat has run since the gateway started.');
  const hb = value as { ts: number; status: string; agentId?: string; channel?: string; to?: string; preview?: string; durationMs?: number; reason?: string };
  const tone = hb.status === 'failed' ? 'bad' : hb.status === 'skipped' ? 'muted' : 'ok';
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'When'),
    h('dd', {}, `${formatTime(hb.ts)} (${formatAgo(hb.ts)})`),
    h('dt', {}, 'Result'),
    h('dd', {}, badge(hb.status, tone), hb.reason ? ` ${hb.reason}` : ''),
    h('dt', {}, 'Agent'),
    h('dd', {}, hb.agentId ?? '—'),
    h('dt', {}, 'Sent to'),
    h('dd', {}, hb.channel ? `${hb.channel}${hb.to ? ` ${hb.to}` : ''}` : '—'),
    h('dt', {}, 'Took'),
    h('dd', {}, hb.durationMs !== undefined ? `${hb.durationMs} ms` : '—'),
    h('dt', {}, 'Preview'),
    h('dd', {}, hb.preview ?? '—'),
  );
}
