import type { ExecApprovalRequestedPayload, ExecApprovalResolvedPayload } from '../../../lib/protocol/generated/types.js';
import type { ControlSession } from '../control-session.js';
import { errorMessage, formatDuration, h, replaceChildren } from '../dom.js';
import { inBackground, unavailable } from './view.js';

type Decision = 'allow-once' | 'allow-always' | 'deny';

const DECISIONS: { decision: Decision; label: string; tone: string }[] = [
  { decision: 'allow-once', label: 'Allow once', tone: 'primary' },
  { decision: 'allow-always', label: 'Always allow', tone: '' },
  { decision: 'deny', label: 'Deny', tone: 'danger' },
];

/**
 * Commands waiting for an operator (`exec.approval.requested`), each answerable with
 * `exec.approval.resolve`; a prompt goes away when `exec.approval.resolved` says it was decided,
 * here, elsewhere or by its timeout.
 */
export class ExecApprovalPrompts {
  readonly el: HTMLElement;
  readonly #session: ControlSession;
  readonly #list = h('div', { class: 'approval-prompts' });
  readonly #status = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
  readonly #pending = new Map<string, { payload: ExecApprovalRequestedPayload; el: HTMLElement; error: HTMLElement }>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(session: ControlSession) {
    this.#session = session;
    this.el = h('div', {}, this.#status, this.#list);
    session.on('event', ({ event, payload }) => {
      if (event === 'exec.approval.requested') this.#add(payload as ExecApprovalRequestedPayload);
      else if (event === 'exec.approval.resolved') this.#resolved(payload as ExecApprovalResolvedPayload);
    });
    this.#render();
  }

  /** Re-reads what is waiting (events may have been missed while disconnected) and ticks the countdowns. */
  show(): void {
    inBackground(this.#session, 'exec approvals', this.#load());
    this.#ticker ??= setInterval(() => this.#tick(), 1000);
  }

  hide(): void {
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  async #load(): Promise<void> {
    const session = this.#session;
    if (session.status.kind !== 'open') return;
    // Without the list method, prompts still arrive as events.
    if (!session.has('exec.approval.list')) return;
    try {
      const waiting = await session.client.call('exec.approval.list', {});
      const ids = new Set(waiting.map((p) => p.id));
      for (const id of [...this.#pending.keys()]) if (!ids.has(id)) this.#pending.delete(id);
      for (const payload of waiting) this.#add(payload, false);
      this.#render();
    } catch (err) {
      session.reportError('exec.approval.list', err);
      replaceChildren(this.#list, h('p', { class: 'error', role: 'alert', 'data-method': 'exec.approval.list' }, `exec.approval.list failed: ${errorMessage(err)}`));
    }
  }

  #add(payload: ExecApprovalRequestedPayload, render = true): void {
    if (this.#pending.has(payload.id)) return;
    const error = h('div');
    this.#pending.set(payload.id, { payload, el: this.#prompt(payload, error), error });
    if (render) this.#render();
  }

  #resolved(payload: ExecApprovalResolvedPayload): void {
    const entry = this.#pending.get(payload.id);
    if (!entry) return;
    const hadFocus = entry.el.contains(document.activeElement);
    this.#pending.delete(payload.id);
    const what = payload.decision === null ? 'expired unanswered' : `${payload.decision}${payload.resolvedBy ? ` by ${payload.resolvedBy}` : ''}`;
    this.#status.textContent = `${entry.payload.request.command}: ${what}.`;
    this.#render();
    // Keyboard users answering a queue land on the next prompt.
    if (hadFocus) (this.#list.querySelector('button') as HTMLButtonElement | null)?.focus();
  }

  #render(): void {
    if (!this.#session.has('exec.approval.resolve') && this.#session.hello) return replaceChildren(this.#list, unavailable('exec.approval.resolve'));
    const prompts = [...this.#pending.values()].sort((a, b) => a.payload.createdAtMs - b.payload.createdAtMs);
    if (prompts.length === 0) return replaceChildren(this.#list, h('p', { class: 'empty' }, 'No command is waiting for approval.'));
    replaceChildren(this.#list, ...prompts.map((p) => p.el));
    this.#tick();
  }

  #tick(): void {
    for (const { payload, el } of this.#pending.values()) {
      const left = el.querySelector('[data-expires]');
      if (left) left.textContent = `${formatDuration(payload.expiresAtMs - Date.now())} left`;
    }
  }

  #prompt(payload: ExecApprovalRequestedPayload, error: HTMLElement): HTMLElement {
    const r = payload.request;
    const titleId = `approval-${payload.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const facts: [string, string | null | undefined][] = [
      ['Agent', r.agentId],
      ['Runs on', r.nodeId ? `node ${r.nodeId}` : r.host],
      ['Directory', r.cwd],
      ['Resolved path', r.resolvedPath],
      ['Session', r.sessionKey],
      ['Policy', [r.security && `security ${r.security}`, r.ask && `ask ${r.ask}`].filter(Boolean).join(', ') || null],
    ];
    const buttons = DECISIONS.map(({ decision, label, tone }) =>
      h('button', { type: 'button', class: tone, 'aria-describedby': titleId, onclick: () => inBackground(this.#session, 'exec approvals', this.#decide(payload.id, decision, buttons, error)) }, label),
    );
    return h(
      'article',
      { class: 'approval-prompt', 'aria-labelledby': titleId, 'data-approval-id': payload.id },
      h('h3', { id: titleId, class: 'mono' }, r.commandArgv?.length ? r.commandArgv.join(' ') : r.command),
      r.warningText ? h('p', { class: 'notice' }, r.warningText) : null,
      h('dl', { class: 'facts' }, ...facts.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v!)]), h('dt', {}, 'Expires'), h('dd', { 'data-expires': '' })),
      h('div', { class: 'actions' }, ...buttons),
      error,
    );
  }

  async #decide(id: string, decision: Decision, buttons: HTMLButtonElement[], error: HTMLElement): Promise<void> {
    for (const b of buttons) b.disabled = true;
    replaceChildren(error);
    try {
      await this.#session.client.call('exec.approval.resolve', { id, decision });
      // The prompt leaves with the exec.approval.resolved event, which every operator gets.
    } catch (err) {
      for (const b of buttons) b.disabled = false;
      this.#session.reportError('exec.approval.resolve', err);
      replaceChildren(error, h('p', { class: 'error', role: 'alert', 'data-method': 'exec.approval.resolve' }, `exec.approval.resolve failed: ${errorMessage(err)}`));
    }
  }
}
