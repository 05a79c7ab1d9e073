import type { CronAddParams, CronDelivery, CronJob, CronSchedule } from '../../../lib/protocol/generated/types.js';
import { h, replaceChildren } from '../dom.js';
import { formatRun, previewSchedule } from './cron-preview.js';
import { methodErrorNote } from './method-error.js';

const UNIT_MS = { seconds: 1_000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

export interface CronFormOptions {
  /** Sends the job (`cron.add`, or `cron.update` when editing); a rejection is shown under the form. */
  onSubmit(params: CronAddParams, editing: CronJob | undefined): Promise<void>;
  onCancel(): void;
}

let nextId = 0;

/**
 * Add or edit one cron job. The schedule is checked as it is typed, with the next runs previewed
 * the way the gateway computes them; the form cannot be sent while the schedule cannot run.
 */
export class CronForm {
  readonly el: HTMLFormElement;
  readonly #options: CronFormOptions;
  readonly #ids = `cron-form-${nextId++}`;
  readonly #heading = h('h2', { id: `${this.#ids}-title` });
  readonly #name = h('input', { id: `${this.#ids}-name`, name: 'name', required: true, autocomplete: 'off' });
  readonly #description = h('input', { id: `${this.#ids}-description`, name: 'description', autocomplete: 'off' });
  readonly #agent = h('input', { id: `${this.#ids}-agent`, name: 'agentId', autocomplete: 'off', placeholder: 'default agent' });
  readonly #enabled = h('input', { id: `${this.#ids}-enabled`, name: 'enabled', type: 'checkbox', checked: true });
  readonly #kind = h(
    'select',
    { id: `${this.#ids}-kind`, name: 'scheduleKind' },
    h('option', { value: 'cron' }, 'Cron expression'),
    h('option', { value: 'every' }, 'Every (interval)'),
    h('option', { value: 'at' }, 'Once at a time'),
  );
  readonly #expr = h('input', { id: `${this.#ids}-expr`, name: 'expr', autocomplete: 'off', spellcheck: false, placeholder: '0 9 * * 1-5', class: 'mono' });
  readonly #tz = h('input', { id: `${this.#ids}-tz`, name: 'tz', autocomplete: 'off', placeholder: "the gateway's time zone" });
  readonly #every = h('input', { id: `${this.#ids}-every`, name: 'every', type: 'number', min: 1, step: 1, value: '15' });
  readonly #unit = h(
    'select',
    { id: `${this.#ids}-unit`, name: 'unit', 'aria-label': 'Interval unit' },
    ...(Object.keys(UNIT_MS) as Unit[]).map((u) => h('option', { value: u, selected: u === 'minutes' }, u)),
  );
  readonly #at = h('input', { id: `${this.#ids}-at`, name: 'at', type: 'datetime-local', step: 60 });
  readonly #target = h(
    'select',
    { id: `${this.#ids}-target`, name: 'sessionTarget' },
    h('option', { value: 'main' }, 'Main session: a system event'),
    h('option', { value: 'isolated' }, 'Isolated session: an agent turn'),
  );
  readonly #wake = h(
    'select',
    { id: `${this.#ids}-wake`, name: 'wakeMode' },
    h('option', { value: 'now' }, 'Wake the agent now'),
    h('option', { value: 'next-heartbeat' }, 'At the next heartbeat'),
  );
  readonly #text = h('textarea', { id: `${this.#ids}-text`, name: 'text', rows: 3, required: true });
  readonly #textLabel = h('label', { for: `${this.#ids}-text` });
  readonly #deliver = h('input', { id: `${this.#ids}-deliver`, name: 'deliver', type: 'checkbox' });
  readonly #channel = h('input', { id: `${this.#ids}-channel`, name: 'channel', autocomplete: 'off', placeholder: 'last' });
  readonly #to = h('input', { id: `${this.#ids}-to`, name: 'to', autocomplete: 'off' });
  readonly #preview = h('div', { id: `${this.#ids}-preview`, class: 'cron-preview', role: 'status', 'aria-live': 'polite' });
  readonly #result = h('div', { 'aria-live': 'polite' });
  readonly #submit = h('button', { type: 'submit', class: 'primary' });
  readonly #cronFields: HTMLElement;
  readonly #everyFields: HTMLElement;
  readonly #atFields: HTMLElement;
  readonly #deliveryFields: HTMLElement;
  #editing: CronJob | undefined;
  #scheduleOk = false;
  #previewSeq = 0;

  constructor(options: CronFormOptions) {
    this.#options = options;
    const id = this.#ids;
    const field = (input: HTMLElement, label: string, hint?: string): HTMLElement =>
      h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('span', { class: 'muted', id: `${input.id}-hint` }, hint) : null);
    for (const input of [this.#expr, this.#tz, this.#every, this.#at]) input.setAttribute('aria-describedby', `${id}-preview`);
    this.#cronFields = h(
      'div',
      { class: 'field-row' },
      field(this.#expr, 'Cron expression', 'minute hour day-of-month month day-of-week (seconds optional first)'),
      field(this.#tz, 'Time zone (IANA)'),
    );
    this.#everyFields = h('div', { class: 'field-row' }, field(this.#every, 'Every'), h('div', { class: 'field' }, h('span', { 'aria-hidden': 'true' }, 'Unit'), this.#unit));
    this.#atFields = h('div', { class: 'field-row' }, field(this.#at, 'Run at (your local time)'));
    this.#deliveryFields = h(
      'fieldset',
      {},
      h('legend', {}, 'Delivery of the reply'),
      h('label', {}, this.#deliver, ' Send the reply to a channel'),
      h('div', { class: 'field-row' }, field(this.#channel, 'Channel'), field(this.#to, 'To')),
    );
    this.el = h(
      'form',
      { class: 'card cron-form', 'aria-labelledby': this.#heading.id, novalidate: true },
      this.#heading,
      h('div', { class: 'field-row' }, field(this.#name, 'Name'), field(this.#description, 'Description'), field(this.#agent, 'Agent id')),
      h('label', {}, this.#enabled, ' Enabled'),
      h('fieldset', {}, h('legend', {}, 'Schedule'), field(this.#kind, 'Kind'), this.#cronFields, this.#everyFields, this.#atFields, h('h3', {}, 'Next runs'), this.#preview),
      h('fieldset', {}, h('legend', {}, 'What runs'), h('div', { class: 'field-row' }, field(this.#target, 'Session'), field(this.#wake, 'Wake mode')), h('div', { class: 'field' }, this.#textLabel, this.#text), this.#deliveryFields),
      this.#result,
      h('div', { class: 'actions' }, this.#submit, h('button', { type: 'button', onclick: () => options.onCancel() }, 'Cancel')),
    );
    for (const input of [this.#kind, this.#expr, this.#tz, this.#every, this.#unit, this.#at]) input.addEventListener('input', () => this.#onScheduleInput());
    this.#kind.addEventListener('change', () => this.#onScheduleInput());
    this.#target.addEventListener('change', () => this.#syncTarget());
    this.#deliver.addEventListener('change', () => this.#syncTarget());
    this.el.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#send().catch((err: unknown) => replaceChildren(this.#result, h('p', { class: 'error', role: 'alert' }, `Could not send the job: ${String(err)}`)));
    });
    this.fill(undefined);
  }

  get editing(): CronJob | undefined {
    return this.#editing;
  }

  /** Empties the form for a new job, or fills it with `job` to edit it. */
  fill(job: CronJob | undefined): void {
    this.#editing = job;
    this.#heading.textContent = job ? `Edit ${job.name}` : 'New cron job';
    this.#submit.textContent = job ? 'Save changes' : 'Add job';
    replaceChildren(this.#result);
    this.#name.value = job?.name ?? '';
    this.#description.value = job?.description ?? '';
    this.#agent.value = job?.agentId ?? '';
    this.#enabled.checked = job?.enabled ?? true;
    const schedule = job?.schedule ?? { kind: 'cron', expr: '0 9 * * *' };
    this.#kind.value = schedule.kind;
    this.#expr.value = schedule.kind === 'cron' ? schedule.expr : '0 9 * * *';
    this.#tz.value = schedule.kind === 'cron' ? (schedule.tz ?? '') : '';
    if (schedule.kind === 'every') {
      const unit = (['days', 'hours', 'minutes', 'seconds'] as Unit[]).find((u) => schedule.everyMs % UNIT_MS[u] === 0) ?? 'seconds';
      this.#unit.value = unit;
      this.#every.value = String(Math.max(1, Math.round(schedule.everyMs / UNIT_MS[unit])));
    } else {
      this.#unit.value = 'minutes';
      this.#every.value = '15';
    }
    const atMs = schedule.kind === 'at' ? ('atMs' in schedule ? schedule.atMs : Date.parse(schedule.at)) : Date.now() + 3_600_000;
    this.#at.value = toLocalInput(atMs);
    this.#target.value = job?.sessionTarget ?? 'main';
    this.#wake.value = job?.wakeMode ?? 'now';
    const payload = job?.payload;
    this.#text.value = payload ? (payload.kind === 'systemEvent' ? payload.text : payload.message) : '';
    const delivery = job?.delivery ?? (payload?.kind === 'agentTurn' && payload.deliver !== undefined ? { mode: payload.deliver ? 'announce' : 'none', channel: payload.channel, to: payload.to } : undefined);
    this.#deliver.checked = delivery?.mode === 'announce';
    this.#channel.value = delivery?.channel ?? '';
    this.#to.value = delivery?.to ?? '';
    this.#syncTarget();
    this.#onScheduleInput();
  }

  focus(): void {
    this.#name.focus();
  }

  #syncTarget(): void {
    const isolated = this.#target.value === 'isolated';
    this.#textLabel.textContent = isolated ? 'Message to the agent' : 'System event text';
    this.#deliveryFields.hidden = !isolated;
    this.#channel.disabled = this.#to.disabled = !this.#deliver.checked;
  }

  #schedule(): CronSchedule {
    switch (this.#kind.value) {
      case 'every':
        return {
          kind: 'every',
          everyMs: Math.round(Number(this.#every.value) * UNIT_MS[this.#unit.value as Unit]),
          ...(this.#editing?.schedule.kind === 'every' && this.#editing.schedule.anchorMs !== undefined ? { anchorMs: this.#editing.schedule.anchorMs } : {}),
        };
      case 'at': {
        const ms = this.#at.value ? new Date(this.#at.value).getTime() : Number.NaN;
        return { kind: 'at', at: Number.isFinite(ms) ? new Date(ms).toISOString() : '' };
      }
      default: {
        const tz = this.#tz.value.trim();
        return { kind: 'cron', expr: this.#expr.value.trim(), ...(tz ? { tz } : {}) };
      }
    }
  }

  #onScheduleInput(): void {
    const kind = this.#kind.value;
    this.#cronFields.hidden = kind !== 'cron';
    this.#everyFields.hidden = kind !== 'every';
    this.#atFields.hidden = kind !== 'at';
    const seq = ++this.#previewSeq;
    replaceChildren(this.#result);
    const schedule = this.#schedule();
    const anchor = this.#editing?.createdAtMs ?? Date.now();
    previewSchedule(schedule, Date.now(), 5, anchor).then(
      (preview) => {
        if (seq !== this.#previewSeq) return;
        this.#scheduleOk = preview.ok;
        const input = kind === 'cron' ? this.#expr : kind === 'every' ? this.#every : this.#at;
        for (const el of [this.#expr, this.#tz, this.#every, this.#at]) el.removeAttribute('aria-invalid');
        if (!preview.ok) {
          input.setAttribute('aria-invalid', 'true');
          if (kind === 'cron' && /time ?zone|timezone/i.test(preview.error)) this.#tz.setAttribute('aria-invalid', 'true');
          replaceChildren(this.#preview, h('p', { class: 'error', 'data-testid': 'schedule-error' }, `This schedule cannot run: ${preview.error}`));
          return;
        }
        const tz = schedule.kind === 'cron' ? schedule.tz : undefined;
        replaceChildren(this.#preview, h('ol', { class: 'cron-runs', 'data-testid': 'schedule-preview' }, ...preview.runs.map((ms) => h('li', {}, formatRun(ms, tz)))));
      },
      (err: unknown) => {
        if (seq !== this.#previewSeq) return;
        // The preview library failed to load: the gateway still checks the schedule on save.
        this.#scheduleOk = true;
        replaceChildren(this.#preview, h('p', { class: 'notice' }, `No preview (${err instanceof Error ? err.message : String(err)}); the gateway checks the schedule when you save.`));
      },
    );
  }

  #params(): CronAddParams | string {
    const name = this.#name.value.trim();
    if (!name) return 'Give the job a name.';
    const text = this.#text.value.trim();
    const isolated = this.#target.value === 'isolated';
    if (!text) return isolated ? 'Write the message the agent gets.' : 'Write the system event text.';
    const agentId = this.#agent.value.trim();
    const description = this.#description.value.trim();
    const deliver = isolated && this.#deliver.checked;
    const channel = this.#channel.value.trim();
    const to = this.#to.value.trim();
    return {
      name,
      ...(description || this.#editing?.description ? { description } : {}),
      ...(agentId ? { agentId } : this.#editing?.agentId ? { agentId: null } : {}),
      enabled: this.#enabled.checked,
      schedule: this.#schedule(),
      sessionTarget: isolated ? 'isolated' : 'main',
      wakeMode: this.#wake.value === 'next-heartbeat' ? 'next-heartbeat' : 'now',
      payload: isolated ? { ...this.#keptTurnSettings(), kind: 'agentTurn', message: text } : { kind: 'systemEvent', text },
      ...(isolated ? this.#delivery(deliver, channel, to) : {}),
    };
  }

  /** An edited agent turn keeps the settings this form does not show (model, thinking, timeout). */
  #keptTurnSettings(): { model?: string; thinking?: string; timeoutSeconds?: number } {
    const payload = this.#editing?.payload;
    if (payload?.kind !== 'agentTurn') return {};
    return {
      ...(payload.model !== undefined ? { model: payload.model } : {}),
      ...(payload.thinking !== undefined ? { thinking: payload.thinking } : {}),
      ...(payload.timeoutSeconds !== undefined ? { timeoutSeconds: payload.timeoutSeconds } : {}),
    };
  }

  /**
   * Where the reply goes. An edit that leaves the delivery fields as they were sends none, so a
   * delivery's fields this form does not show (accountId, bestEffort) survive; a changed one keeps them too.
   */
  #delivery(deliver: boolean, channel: string, to: string): { delivery?: CronDelivery } {
    const before = this.#editing?.delivery;
    const wasAnnounce = before?.mode === 'announce';
    if (this.#editing && deliver === wasAnnounce && channel === (before?.channel ?? '') && to === (before?.to ?? '')) return {};
    if (!deliver) return { delivery: { mode: 'none' } };
    const { to: _oldTo, ...rest } = before ?? { mode: 'announce' as const };
    return { delivery: { ...rest, mode: 'announce', channel: channel || 'last', ...(to ? { to } : {}) } };
  }

  async #send(): Promise<void> {
    const params = this.#params();
    if (typeof params === 'string' || !this.#scheduleOk) {
      const problem = typeof params === 'string' ? params : 'Fix the schedule first (see Next runs).';
      replaceChildren(this.#result, h('p', { class: 'error', role: 'alert' }, problem));
      (typeof params === 'string' ? (this.#name.value.trim() ? this.#text : this.#name) : this.#kind).focus();
      return;
    }
    replaceChildren(this.#result);
    this.#submit.disabled = true;
    try {
      await this.#options.onSubmit(params, this.#editing);
    } catch (err) {
      // Shown under the form, which keeps what was typed: nothing is lost to a refusal.
      replaceChildren(this.#result, methodErrorNote(this.#editing ? 'cron.update' : 'cron.add', err));
    } finally {
      this.#submit.disabled = false;
    }
  }
}

function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
