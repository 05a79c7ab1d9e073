import type { CronAddParams, CronJob, CronRunLogEntry, CronStatusResult } from '../../../lib/protocol/generated/types.js';
import { badge, formatDuration, formatTime, h, replaceChildren, table } from '../dom.js';
import { CronForm } from './cron-form.js';
import { describeSchedule, formatRun } from './cron-preview.js';
import { methodErrorNote } from './method-error.js';
import { hasScope } from './scopes.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';

/**
 * Cron jobs: the scheduler's state, every job with its schedule and last result, add and edit
 * (with the next runs previewed), run now, remove, and each job's run log. Follows `cron` events.
 */
export class CronView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #summary = h('div');
  readonly #jobs = h('div', { 'data-testid': 'cron-jobs' });
  readonly #status = statusLine();
  readonly #runs = h('div', { 'aria-live': 'polite' });
  readonly #runsTitle = h('h2', { id: 'cron-runs-title', tabindex: -1 }, 'Run log');
  readonly #add = h('button', { type: 'button', class: 'primary' }, 'Add job');
  readonly #form: CronForm;
  readonly #body: HTMLElement;
  #list: CronJob[] = [];
  #runsFor: CronJob | undefined;
  #visible = false;
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#form = new CronForm({
      onSubmit: (params, editing) => this.#save(params, editing),
      onCancel: () => this.#closeForm(),
    });
    this.#form.el.hidden = true;
    this.#add.addEventListener('click', () => this.#openForm(undefined));
    this.#body = h(
      'div',
      { class: 'view-body' },
      section('cron-status-title', 'Scheduler', this.#summary),
      section('cron-jobs-title', 'Jobs', h('div', { class: 'actions' }, this.#add), this.#status, this.#jobs),
      this.#form.el,
      h('section', { class: 'card', 'aria-labelledby': 'cron-runs-title' }, this.#runsTitle, this.#runs),
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('event', ({ event }) => {
      if (event === 'cron' && this.#visible) this.#scheduleReload();
    });
  }

  show(): void {
    this.#visible = true;
    if (!this.#ctx.session.has('cron.list')) {
      replaceChildren(this.el, unavailable('cron.list'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    this.#add.hidden = !this.#ctx.session.has('cron.add') || !hasScope(this.#ctx.session, 'operator.admin');
    inBackground(this.#ctx.session, 'cron view', this.#load());
  }

  hide(): void {
    this.#visible = false;
    if (this.#reloadTimer !== undefined) clearTimeout(this.#reloadTimer);
  }

  /** Runs finish in bursts of events: one reload for each burst. */
  #scheduleReload(): void {
    if (this.#reloadTimer !== undefined) clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => inBackground(this.#ctx.session, 'cron view', this.#load()), 250);
  }

  async #load(): Promise<void> {
    const { session } = this.#ctx;
    const [status, list] = await Promise.allSettled([
      session.has('cron.status') ? session.client.call('cron.status', {}) : Promise.resolve(undefined),
      session.client.call('cron.list', { includeDisabled: true }),
    ]);
    if (status.status === 'fulfilled') replaceChildren(this.#summary, status.value ? renderStatus(status.value) : unavailable('cron.status'));
    else replaceChildren(this.#summary, methodErrorNote('cron.status', status.reason));
    if (list.status === 'rejected') {
      replaceChildren(this.#jobs, methodErrorNote('cron.list', list.reason));
      return;
    }
    this.#list = list.value.jobs;
    this.#renderJobs();
    if (this.#runsFor) {
      const again = this.#list.find((j) => j.id === this.#runsFor!.id);
      if (again) await this.#loadRuns(again, false);
    } else {
      replaceChildren(this.#runs, h('p', { class: 'muted' }, 'Pick a job’s Runs to see its log.'));
    }
  }

  #renderJobs(): void {
    const { session } = this.#ctx;
    // Adding, changing, running and removing jobs take operator.admin; reading them does not.
    const admin = hasScope(session, 'operator.admin');
    const canAdmin = admin && session.has('cron.update');
    replaceChildren(
      this.#jobs,
      table(
        'Cron jobs',
        ['Job', 'Schedule', 'Next run', 'Last run', 'Enabled', 'Actions'],
        this.#list.map((job) => {
          const last = job.state.lastRunStatus ?? job.state.lastStatus;
          const actions = h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${job.name}` });
          const row = (label: string, method: string, onclick: () => void) => {
            if (session.has(method)) actions.append(h('button', { type: 'button', 'aria-label': `${label} ${job.name}`, onclick }, label));
          };
          if (admin) row('Run now', 'cron.run', () => inBackground(session, 'cron view', this.#runNow(job)));
          row('Runs', 'cron.runs', () => inBackground(session, 'cron view', this.#loadRuns(job, true)));
          if (canAdmin) {
            row('Edit', 'cron.update', () => this.#openForm(job));
            row(job.enabled ? 'Disable' : 'Enable', 'cron.update', () => inBackground(session, 'cron view', this.#toggle(job)));
          }
          if (admin && session.has('cron.remove')) actions.append(this.#removeButton(job));
          return [
            h('div', {}, h('strong', {}, job.name), job.description ? h('div', { class: 'muted' }, job.description) : null, job.agentId ? h('div', { class: 'muted' }, `agent ${job.agentId}`) : null),
            describeSchedule(job.schedule),
            job.state.runningAtMs ? badge('running', 'warn') : job.state.nextRunAtMs ? formatRun(job.state.nextRunAtMs, job.schedule.kind === 'cron' ? job.schedule.tz : undefined) : '—',
            last
              ? h(
                  'div',
                  {},
                  badge(last, last === 'ok' ? 'ok' : last === 'error' ? 'bad' : 'muted'),
                  ' ',
                  formatTime(job.state.lastRunAtMs),
                  job.state.lastError ? h('div', { class: 'error' }, job.state.lastError) : null,
                )
              : 'never',
            badge(job.enabled ? 'enabled' : 'disabled', job.enabled ? 'ok' : 'muted'),
            actions,
          ];
        }),
        'No cron jobs yet.',
      ),
    );
  }

  /** Removing asks once more in place: the first press turns the button into a confirmation. */
  #removeButton(job: CronJob): HTMLElement {
    const button = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${job.name}` }, 'Remove');
    let armed = false;
    button.addEventListener('click', () => {
      if (!armed) {
        armed = true;
        button.textContent = 'Confirm remove';
        button.setAttribute('aria-label', `Confirm removing ${job.name}`);
        return;
      }
      inBackground(this.#ctx.session, 'cron view', this.#remove(job));
    });
    button.addEventListener('blur', () => {
      armed = false;
      button.textContent = 'Remove';
      button.setAttribute('aria-label', `Remove ${job.name}`);
    });
    return button;
  }

  #openForm(job: CronJob | undefined): void {
    this.#form.fill(job);
    this.#form.el.hidden = false;
    this.#form.focus();
  }

  #closeForm(): void {
    this.#form.el.hidden = true;
    this.#add.focus();
  }

  async #save(params: CronAddParams, editing: CronJob | undefined): Promise<void> {
    const { client } = this.#ctx.session;
    const job = editing ? await client.call('cron.update', { id: editing.id, patch: params }) : await client.call('cron.add', params);
    this.#status.textContent = editing ? `Saved ${job.name}.` : `Added ${job.name}.`;
    this.#form.el.hidden = true;
    await this.#load();
    this.#jobs.querySelector<HTMLButtonElement>(`button[aria-label="Edit ${CSS.escape(job.name)}"]`)?.focus();
  }

  async #toggle(job: CronJob): Promise<void> {
    try {
      await this.#ctx.session.client.call('cron.update', { id: job.id, patch: { enabled: !job.enabled } });
      this.#status.textContent = `${job.enabled ? 'Disabled' : 'Enabled'} ${job.name}.`;
      await this.#load();
    } catch (err) {
      replaceChildren(this.#status, methodErrorNote('cron.update', err));
    }
  }

  async #runNow(job: CronJob): Promise<void> {
    this.#status.textContent = `Running ${job.name}…`;
    try {
      const result = await this.#ctx.session.client.call('cron.run', { id: job.id, mode: 'force' });
      this.#status.textContent = result.ran ? `Ran ${job.name}.` : `${job.name} did not run${result.reason ? ` (${result.reason})` : ''}.`;
      await this.#load();
      await this.#loadRuns(job, false);
    } catch (err) {
      replaceChildren(this.#status, methodErrorNote('cron.run', err));
    }
  }

  async #remove(job: CronJob): Promise<void> {
    try {
      const result = await this.#ctx.session.client.call('cron.remove', { id: job.id });
      this.#status.textContent = result.removed ? `Removed ${job.name}.` : `${job.name} was already gone.`;
      if (this.#runsFor?.id === job.id) this.#runsFor = undefined;
      if (this.#form.editing?.id === job.id) this.#form.el.hidden = true;
      await this.#load();
      this.#add.focus();
    } catch (err) {
      replaceChildren(this.#status, methodErrorNote('cron.remove', err));
    }
  }

  async #loadRuns(job: CronJob, focus: boolean): Promise<void> {
    this.#runsFor = job;
    this.#runsTitle.textContent = `Run log: ${job.name}`;
    if (focus) this.#runsTitle.focus();
    let entries: CronRunLogEntry[];
    try {
      entries = (await this.#ctx.session.client.call('cron.runs', { id: job.id, limit: 50 })).entries;
    } catch (err) {
      replaceChildren(this.#runs, methodErrorNote('cron.runs', err));
      return;
    }
    const newest = [...entries].sort((a, b) => b.ts - a.ts);
    replaceChildren(
      this.#runs,
      table(
        `Runs of ${job.name}`,
        ['Finished', 'Status', 'Took', 'Summary', 'Delivery'],
        newest.map((e) => [
          formatTime(e.ts),
          e.status ? badge(e.status, e.status === 'ok' ? 'ok' : e.status === 'error' ? 'bad' : 'muted') : '—',
          e.durationMs !== undefined ? formatDuration(e.durationMs) : '—',
          e.error ? h('span', { class: 'error' }, e.error) : (e.summary ?? '—'),
          e.deliveryStatus ? `${e.deliveryStatus}${e.deliveryError ? `: ${e.deliveryError}` : ''}` : '—',
        ]),
        `${job.name} has not run yet.`,
      ),
    );
  }
}

function renderStatus(status: CronStatusResult): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Scheduler'),
    h('dd', {}, badge(status.enabled ? 'running' : 'off', status.enabled ? 'ok' : 'warn')),
    h('dt', {}, 'Jobs'),
    h('dd', {}, String(status.jobs)),
    h('dt', {}, 'Next wake'),
    h('dd', {}, status.nextWakeAtMs ? formatRun(status.nextWakeAtMs) : '—'),
    h('dt', {}, 'Store'),
    h('dd', { class: 'mono' }, status.storePath),
  );
}
