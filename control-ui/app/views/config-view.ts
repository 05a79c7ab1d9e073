import { GatewayError } from '../../../lib/client/index.js';
import type { ConfigSchemaResult, ConfigSnapshot } from '../../../lib/protocol/generated/types.js';
import { badge, errorMessage, h, replaceChildren } from '../dom.js';
import { checkSchema, type SchemaIssue } from '../schema-check.js';
import { diffConfig, equalJson, isObject, mergePatch, type JsonObject } from './config/config-diff.js';
import { ConfigForm } from './config/config-form.js';
import { diffTable } from './config/diff-table.js';
import { issueList } from './config/issue-list.js';
import { RawEditor } from './config/raw-editor.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';

type Mode = 'form' | 'raw';

/**
 * The config file: its state, a form drawn from `config.schema` (or the raw JSON5 text), the
 * changes reviewed before they are sent, and `config.patch` with the hash of the version the
 * edits started from (a file changed meanwhile is a conflict, not an overwrite). The restart a
 * patch triggers is announced here and survived by the session.
 */
export class ConfigView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #summary = h('div');
  readonly #effective = h('pre', { class: 'code', tabindex: 0, 'aria-label': 'Effective config' });
  readonly #formMode = h('button', { type: 'button', 'aria-pressed': 'true' }, 'Form');
  readonly #rawMode = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Raw JSON5');
  readonly #editArea = h('div');
  readonly #raw: RawEditor;
  readonly #changes = h('p', { class: 'muted', 'data-testid': 'config-changes' });
  readonly #review = h('button', { type: 'button', class: 'primary', disabled: true }, 'Review changes');
  readonly #discard = h('button', { type: 'button', disabled: true }, 'Discard changes');
  readonly #diff = h('div', { class: 'cfg-diff', 'data-testid': 'config-diff', hidden: true });
  readonly #conflict = h('div', { hidden: true });
  readonly #status = statusLine();
  readonly #body: HTMLElement;
  #mode: Mode = 'form';
  #snapshot: ConfigSnapshot | undefined;
  #schema: ConfigSchemaResult | undefined;
  #base: JsonObject = {};
  #draft: JsonObject = {};
  #form: ConfigForm | undefined;
  #restartPending = false;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#raw = new RawEditor({ schema: () => this.#schema?.schema, onParsed: (value) => this.#setDraft(value), background: (work) => inBackground(ctx.session, 'config view', work) });
    const bg = (work: Promise<unknown>) => inBackground(ctx.session, 'config view', work);
    this.#formMode.addEventListener('click', () => bg(this.#setMode('form')));
    this.#rawMode.addEventListener('click', () => bg(this.#setMode('raw')));
    this.#review.addEventListener('click', () => this.#showDiff());
    this.#discard.addEventListener('click', () => bg(this.#reset()));
    this.#body = h(
      'div',
      { class: 'view-body' },
      section('config-file-title', 'Config file', this.#summary),
      section(
        'config-edit-title',
        'Edit',
        h('div', { class: 'actions', role: 'group', 'aria-label': 'Editor' }, this.#formMode, this.#rawMode),
        h('p', { class: 'muted' }, 'Secrets stay hidden: a secret you leave empty keeps its stored value. Changes are reviewed before they are sent.'),
        this.#editArea,
        h('div', { class: 'cfg-footer' }, this.#changes, h('div', { class: 'actions' }, this.#review, this.#discard)),
        this.#diff,
        this.#conflict,
        this.#status,
      ),
      section('config-effective-title', 'Effective config (defaults applied, secrets hidden)', this.#effective),
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('status', (status) => {
      if (status.kind !== 'open' || !status.reconnected || !this.#restartPending) return;
      this.#restartPending = false;
      this.#status.textContent = status.restarted
        ? 'The gateway restarted with the new config, and this page reconnected.'
        : 'Reconnected to the gateway; the config below is what it runs now.';
    });
  }

  show(): void {
    if (!this.#ctx.session.has('config.get')) {
      replaceChildren(this.el, unavailable('config.get'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    inBackground(this.#ctx.session, 'config view', this.#load());
  }

  hide(): void {}

  /** Loads the file; edits in progress survive a reload unless the file changed under them. */
  async #load(force = false): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    try {
      const [snapshot, schema] = await Promise.all([
        session.client.call('config.get'),
        this.#schema ?? (session.has('config.schema') ? session.client.call('config.schema') : undefined),
      ]);
      const previous = this.#snapshot;
      this.#snapshot = snapshot;
      this.#schema = schema;
      this.#renderSummary();
      const edited = this.#changeList().length > 0;
      if (force || !previous || !edited) return await this.#reset();
      if (previous.hash !== snapshot.hash) {
        this.#showConflict('The config file changed since you started editing (another client or the gateway saved it).');
      }
    } catch (err) {
      session.reportError('config.get', err);
      this.#status.textContent = `config.get failed: ${errorMessage(err)}`;
    }
  }

  /** The edits start over from the loaded file. */
  async #reset(): Promise<void> {
    const s = this.#snapshot;
    if (!s) return;
    this.#base = isObject(s.parsed) ? s.parsed : {};
    this.#draft = structuredClone(this.#base);
    this.#diff.hidden = true;
    this.#conflict.hidden = true;
    if (this.#mode === 'raw') await this.#raw.fill(s.raw ?? `${JSON.stringify(this.#draft, null, 2)}\n`);
    else this.#renderForm();
    this.#onEdited();
  }

  #renderForm(): void {
    if (!this.#schema) {
      replaceChildren(this.#editArea, h('p', { class: 'notice' }, 'This gateway offers no config.schema, so there is no form; use Raw JSON5.'));
      return;
    }
    this.#form = new ConfigForm({ schema: this.#schema.schema, hints: this.#schema.uiHints, draft: this.#draft, onChange: () => this.#onEdited() });
    replaceChildren(this.#editArea, this.#form.el);
  }

  async #setMode(mode: Mode): Promise<void> {
    if (mode === this.#mode) return;
    if (mode === 'form' && !(await this.#raw.check())) {
      this.#status.textContent = 'Fix the JSON5 text before switching to the form.';
      return;
    }
    this.#mode = mode;
    this.#formMode.setAttribute('aria-pressed', String(mode === 'form'));
    this.#rawMode.setAttribute('aria-pressed', String(mode === 'raw'));
    if (mode === 'form') return this.#renderForm();
    replaceChildren(this.#editArea, this.#raw.el);
    // Unedited, the file's own text (comments and all); edited in the form, the edited config.
    const unchanged = equalJson(this.#draft, this.#base) && this.#snapshot?.raw;
    await this.#raw.fill(unchanged ? this.#snapshot!.raw! : `${JSON.stringify(this.#draft, null, 2)}\n`);
  }

  #setDraft(value: JsonObject): void {
    this.#draft = value;
    this.#onEdited();
  }

  #changeList() {
    const hints = this.#schema?.uiHints ?? {};
    return diffConfig(this.#base, this.#draft, (path) => hints[path.join('.')]?.sensitive === true);
  }

  #onEdited(): void {
    const count = this.#changeList().length;
    this.#changes.textContent = count === 0 ? 'No changes.' : `${count} change${count === 1 ? '' : 's'} not applied yet.`;
    this.#review.disabled = this.#discard.disabled = count === 0;
    if (!this.#diff.hidden) this.#showDiff();
  }

  #showDiff(): void {
    const changes = this.#changeList();
    const issues: SchemaIssue[] = this.#schema ? checkSchema(this.#schema.schema, this.#draft) : [];
    const ready = changes.length > 0 && issues.length === 0 && (this.#mode === 'form' || this.#raw.valid);
    const apply = h('button', { type: 'button', class: 'primary', disabled: !ready }, 'Apply & restart');
    const save = h('button', { type: 'button', disabled: !ready }, 'Save only (live reload)');
    const back = h('button', { type: 'button' }, 'Back to editing');
    apply.addEventListener('click', () => inBackground(this.#ctx.session, 'config view', this.#send('config.patch', [apply, save])));
    save.addEventListener('click', () => inBackground(this.#ctx.session, 'config view', this.#send('config.set', [apply, save])));
    back.addEventListener('click', () => (this.#diff.hidden = true));
    replaceChildren(
      this.#diff,
      h('h3', { id: 'config-diff-title' }, 'Review changes'),
      diffTable(changes),
      issueList('Fix these before applying', issues),
      h(
        'p',
        { class: 'muted' },
        'Apply & restart sends only these changes (config.patch) and restarts the gateway; Save only writes the file and the gateway applies what it can live (gateway.reload.mode). The gateway writes the file back as plain JSON, so comments in it are not kept (Save only from the raw editor keeps your text when it holds no hidden secret).',
      ),
      h('div', { class: 'actions' }, apply, save, back),
    );
    this.#diff.hidden = false;
    apply.focus();
  }

  async #send(method: 'config.patch' | 'config.set', buttons: HTMLButtonElement[]): Promise<void> {
    const { session } = this.#ctx;
    const snapshot = this.#snapshot;
    if (!snapshot) return;
    for (const b of buttons) b.disabled = true;
    const baseHash = snapshot.exists ? { baseHash: snapshot.hash } : {};
    try {
      if (method === 'config.patch') {
        const raw = JSON.stringify(mergePatch(this.#base, this.#draft));
        const result = await session.client.call('config.patch', { raw, ...baseHash, note: 'Applied from the Control UI' });
        this.#restartPending = result.restart.ok;
        this.#status.textContent = result.restart.ok
          ? `Applied. The gateway restarts in ${Math.round(result.restart.delayMs / 100) / 10} s; this page reconnects by itself.`
          : `Applied, but the gateway did not restart: ${result.restart.error ?? 'unknown error'}`;
      } else {
        const raw = this.#mode === 'raw' ? this.#raw.text : `${JSON.stringify(this.#draft, null, 2)}\n`;
        await session.client.call('config.set', { raw, ...baseHash });
        this.#status.textContent = 'Saved. The gateway reloads the file; hot-reloadable settings apply now.';
      }
      this.#diff.hidden = true;
      await this.#load(true);
    } catch (err) {
      session.reportError(method, err);
      for (const b of buttons) b.disabled = false;
      if (/changed since last load/.test(errorMessage(err))) {
        this.#showConflict(`${method} refused: the config file changed since this page loaded it.`);
        return;
      }
      const details = err instanceof GatewayError ? (err.details as { issues?: SchemaIssue[] } | undefined) : undefined;
      this.#status.textContent = `${method} failed: ${errorMessage(err)}`;
      if (details?.issues?.length) this.#diff.append(issueList('The gateway refused the config', details.issues) ?? '');
    }
  }

  #showConflict(message: string): void {
    const reload = h('button', { type: 'button' }, 'Reload the file (drops your edits)');
    reload.addEventListener('click', () => inBackground(this.#ctx.session, 'config view', this.#load(true)));
    replaceChildren(
      this.#conflict,
      h('div', { class: 'error', role: 'alert', 'data-testid': 'config-conflict' }, h('p', {}, h('strong', {}, 'Conflict: '), message, ' Reload to see the current file, then make your change again.'), reload),
    );
    this.#conflict.hidden = false;
  }

  #renderSummary(): void {
    const s = this.#snapshot!;
    replaceChildren(
      this.#summary,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Path'),
        h('dd', { class: 'mono' }, s.path),
        h('dt', {}, 'State'),
        h('dd', { 'data-testid': 'config-valid' }, s.exists ? (s.valid ? badge('valid', 'ok') : badge('invalid', 'bad')) : badge('no file (defaults)', 'muted')),
        h('dt', {}, 'Version'),
        h('dd', { class: 'mono', 'data-testid': 'config-hash' }, s.hash.slice(0, 12)),
      ),
      issueList('Problems in the file', [...s.issues, ...s.legacyIssues]),
      issueList('Warnings', s.warnings),
    );
    this.#effective.textContent = JSON.stringify(s.config, null, 2);
  }
}
