import type { ModelChoice, SessionRow, SessionsPatchParams } from '../../../lib/protocol/generated/types.js';
import { h, replaceChildren } from '../dom.js';
import { reportedError } from './reported-error.js';
import { inBackground, statusLine, type ViewContext } from './view.js';

/** The levels `sessions.patch` accepts; "" leaves the session on the agent's default. */
const THINKING = ['off', 'minimal', 'low', 'medium', 'high'];
const VERBOSE = ['off', 'on', 'full'];
const REASONING = ['off', 'on', 'stream'];

export interface SessionDetailsHooks {
  /** The session changed on the gateway (patched, reset, compacted): the list reloads. */
  changed(): void;
  deleted(key: string): void;
}

type Field = 'label' | 'thinkingLevel' | 'verboseLevel' | 'reasoningLevel' | 'model';

/**
 * One session's panel: overrides (`sessions.patch`), preview (`sessions.preview`), reset, compact
 * and delete. Each part shows its own outcome and errors next to it.
 */
export class SessionDetails {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #hooks: SessionDetailsHooks;
  readonly #title = h('h2', { id: 'session-details-title', tabindex: -1 });
  readonly #label = h('input', { id: 'session-label', name: 'label', type: 'text', maxlength: 200, autocomplete: 'off' });
  readonly #thinking = levelSelect('session-thinking', 'thinkingLevel', THINKING);
  readonly #verbose = levelSelect('session-verbose', 'verboseLevel', VERBOSE);
  readonly #reasoning = levelSelect('session-reasoning', 'reasoningLevel', REASONING);
  readonly #model = h('select', { id: 'session-model', name: 'model' });
  readonly #modelNote = h('div');
  readonly #save = h('button', { type: 'submit', class: 'primary' }, 'Save overrides');
  readonly #patchStatus = statusLine();
  readonly #patchError = h('div');
  readonly #actionStatus = statusLine();
  readonly #actionError = h('div');
  readonly #confirm = h('div', { class: 'actions', hidden: true });
  readonly #preview = h('div');
  #row: SessionRow | undefined;
  #models: ModelChoice[] = [];

  constructor(ctx: ViewContext, hooks: SessionDetailsHooks) {
    this.#ctx = ctx;
    this.#hooks = hooks;
    const overrides = h(
      'form',
      {
        class: 'session-overrides',
        'aria-labelledby': 'session-overrides-title',
        onsubmit: (e: Event) => {
          e.preventDefault();
          inBackground(ctx.session, 'sessions view', this.#patch());
        },
      },
      h('h3', { id: 'session-overrides-title' }, 'Overrides'),
      h(
        'div',
        { class: 'field-grid' },
        field('session-label', 'Label', this.#label),
        field('session-thinking', 'Thinking', this.#thinking),
        field('session-verbose', 'Verbose (tool activity)', this.#verbose),
        field('session-reasoning', 'Reasoning', this.#reasoning),
        field('session-model', 'Model', this.#model),
      ),
      this.#modelNote,
      h('div', { class: 'actions' }, this.#save),
      this.#patchStatus,
      this.#patchError,
    );
    const act = (label: string, run: () => Promise<void>, cls = '') =>
      h('button', { type: 'button', class: cls, onclick: () => inBackground(ctx.session, 'sessions view', run()) }, label);
    const actions = h(
      'div',
      { class: 'session-actions', role: 'group', 'aria-labelledby': 'session-actions-title' },
      h('h3', { id: 'session-actions-title' }, 'Actions'),
      h(
        'div',
        { class: 'actions' },
        act('Reset', () => this.#reset()),
        act('Compact', () => this.#compact()),
        act('Delete…', async () => this.#askDelete(), 'danger'),
      ),
      this.#confirm,
      this.#actionStatus,
      this.#actionError,
    );
    const preview = h(
      'div',
      { class: 'session-preview' },
      h('h3', { id: 'session-preview-title' }, 'Preview'),
      h('div', { class: 'actions' }, act('Reload preview', () => this.#loadPreview())),
      this.#preview,
    );
    this.el = h('section', { id: 'session-details', class: 'card session-details', 'aria-labelledby': 'session-details-title', hidden: true }, this.#title, overrides, actions, preview);
    this.#renderModels();
  }

  open(row: SessionRow): void {
    const switched = this.#row?.key !== row.key;
    this.#row = row;
    this.el.hidden = false;
    this.#title.textContent = `Session ${row.key}`;
    if (switched) {
      for (const el of [this.#patchStatus, this.#actionStatus]) el.textContent = '';
      for (const el of [this.#patchError, this.#actionError, this.#preview]) replaceChildren(el);
      this.#confirm.hidden = true;
    }
    this.#fill(row);
    inBackground(this.#ctx.session, 'sessions view', this.#loadPreview());
  }

  /** Fresh data for the open session (the list reloaded): the form keeps its edits, the preview follows new messages. */
  update(row: SessionRow): void {
    if (this.#row?.key !== row.key) return;
    const moved = this.#row.updatedAt !== row.updatedAt;
    this.#row = row;
    if (moved) inBackground(this.#ctx.session, 'sessions view', this.#loadPreview());
  }

  close(): void {
    this.#row = undefined;
    this.el.hidden = true;
  }

  focus(): void {
    this.#title.focus();
  }

  setModels(models: ModelChoice[]): void {
    this.#models = models;
    replaceChildren(this.#modelNote);
    this.#renderModels();
  }

  setModelsError(error: HTMLElement): void {
    replaceChildren(this.#modelNote, error);
  }

  #fill(row: SessionRow): void {
    this.#label.value = row.label ?? '';
    this.#thinking.value = row.thinkingLevel ?? '';
    this.#verbose.value = row.verboseLevel ?? '';
    this.#reasoning.value = row.reasoningLevel ?? '';
    this.#renderModels();
  }

  #renderModels(): void {
    const current = this.#row?.modelOverride ?? '';
    const refs = this.#models.map((m) => ({ ref: `${m.provider}/${m.id}`, name: m.name && m.name !== m.id ? `${m.provider}/${m.id} (${m.name})` : `${m.provider}/${m.id}` }));
    // An override the catalog no longer lists still shows, so saving other fields does not drop it.
    if (current && !refs.some((r) => r.ref === current)) refs.push({ ref: current, name: `${current} (not in the catalog)` });
    replaceChildren(
      this.#model,
      h('option', { value: '' }, 'Agent default'),
      ...refs.map((r) => h('option', { value: r.ref, selected: r.ref === current }, r.name)),
    );
    this.#model.value = current;
  }

  /** Sends only the fields that differ from the session; an emptied field clears the override (null). */
  async #patch(): Promise<void> {
    const row = this.#row;
    if (!row) return;
    const { session } = this.#ctx;
    const now: Record<Field, string> = {
      label: this.#label.value.trim(),
      thinkingLevel: this.#thinking.value,
      verboseLevel: this.#verbose.value,
      reasoningLevel: this.#reasoning.value,
      model: this.#model.value,
    };
    const before: Record<Field, string> = {
      label: row.label ?? '',
      thinkingLevel: row.thinkingLevel ?? '',
      verboseLevel: row.verboseLevel ?? '',
      reasoningLevel: row.reasoningLevel ?? '',
      model: row.modelOverride ?? '',
    };
    const params: SessionsPatchParams = { key: row.key };
    for (const name of Object.keys(now) as Field[]) {
      if (now[name] !== before[name]) params[name] = now[name] === '' ? null : now[name];
    }
    replaceChildren(this.#patchError);
    if (Object.keys(params).length === 1) {
      this.#patchStatus.textContent = 'Nothing changed.';
      return;
    }
    this.#save.disabled = true;
    this.#patchStatus.textContent = 'Saving…';
    try {
      const result = await session.client.call('sessions.patch', params);
      this.#row = result.entry;
      this.#fill(result.entry);
      this.#patchStatus.textContent = `Saved: ${Object.keys(params).filter((k) => k !== 'key').join(', ')}.`;
      this.#hooks.changed();
    } catch (err) {
      this.#patchStatus.textContent = '';
      replaceChildren(this.#patchError, reportedError(session, 'sessions.patch', err));
    } finally {
      this.#save.disabled = false;
    }
  }

  async #reset(): Promise<void> {
    await this.#act('sessions.reset', async (key) => {
      const result = await this.#ctx.session.client.call('sessions.reset', { key, reason: 'reset' });
      this.#row = result.entry;
      return `Reset: new session id ${result.entry.sessionId}; the old transcript is kept.`;
    });
    await this.#loadPreview();
  }

  async #compact(): Promise<void> {
    await this.#act('sessions.compact', async (key) => {
      const result = await this.#ctx.session.client.call('sessions.compact', { key });
      if (!result.compacted) return `Not compacted: ${result.reason ?? 'nothing to compact'}.`;
      return `Compacted: ${result.summarizedMessages ?? 0} messages summarized, ${result.keptMessages ?? 0} kept.`;
    });
    await this.#loadPreview();
  }

  #askDelete(): void {
    const row = this.#row;
    if (!row) return;
    const dropTranscript = h('input', { id: 'session-delete-transcript', type: 'checkbox', name: 'deleteTranscript' });
    const confirm = h('button', { type: 'button', class: 'danger' }, `Delete ${row.key}`);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    confirm.addEventListener('click', () => {
      this.#confirm.hidden = true;
      inBackground(this.#ctx.session, 'sessions view', this.#delete(dropTranscript.checked));
    });
    cancel.addEventListener('click', () => (this.#confirm.hidden = true));
    replaceChildren(
      this.#confirm,
      h('label', { class: 'check' }, dropTranscript, ' Also delete the transcript'),
      confirm,
      cancel,
    );
    this.#confirm.hidden = false;
    confirm.focus();
  }

  async #delete(deleteTranscript: boolean): Promise<void> {
    let deletedKey: string | undefined;
    await this.#act('sessions.delete', async (key) => {
      const result = await this.#ctx.session.client.call('sessions.delete', { key, deleteTranscript });
      deletedKey = key;
      return result.deleted ? `Deleted ${key}.` : `${key} was already gone.`;
    });
    if (deletedKey) this.#hooks.deleted(deletedKey);
  }

  /** Runs one action on the open session, its outcome in the status line, its failure below it. */
  async #act(method: string, run: (key: string) => Promise<string>): Promise<void> {
    const row = this.#row;
    if (!row) return;
    replaceChildren(this.#actionError);
    this.#actionStatus.textContent = 'Working…';
    try {
      this.#actionStatus.textContent = await run(row.key);
      this.#hooks.changed();
    } catch (err) {
      this.#actionStatus.textContent = '';
      replaceChildren(this.#actionError, reportedError(this.#ctx.session, method, err));
    }
  }

  async #loadPreview(): Promise<void> {
    const row = this.#row;
    const { session } = this.#ctx;
    if (!row) return;
    if (!session.has('sessions.preview')) {
      replaceChildren(this.#preview, h('p', { class: 'muted' }, 'Not available on this gateway (no sessions.preview).'));
      return;
    }
    try {
      const result = await session.client.call('sessions.preview', { keys: [row.key], limit: 12, maxChars: 400 });
      if (this.#row?.key !== row.key) return;
      const preview = result.previews[0];
      if (!preview || preview.status !== 'ok') {
        const why = { missing: 'This session has no transcript yet.', empty: 'No messages yet.', error: 'The transcript could not be read.', ok: '' }[preview?.status ?? 'missing'];
        replaceChildren(this.#preview, h('p', { class: preview?.status === 'error' ? 'error' : 'empty' }, why));
        return;
      }
      replaceChildren(
        this.#preview,
        h('ol', { class: 'preview-list', 'aria-label': `Last messages of ${row.key}` }, ...preview.items.map((item) => h('li', { class: `preview-${item.role}` }, h('span', { class: 'preview-role' }, item.role), ' ', item.text))),
      );
    } catch (err) {
      replaceChildren(this.#preview, reportedError(session, 'sessions.preview', err));
    }
  }
}

function levelSelect(id: string, name: string, levels: string[]): HTMLSelectElement {
  return h('select', { id, name }, h('option', { value: '' }, 'Agent default'), ...levels.map((l) => h('option', { value: l }, l)));
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
