import { GatewayError } from '../../../lib/client/index.js';
import type { ConfigSchemaResult, ConfigSnapshot } from '../../../lib/protocol/generated/types.js';
import { badge, errorMessage, h, replaceChildren } from '../dom.js';
import { checkSchema, type SchemaIssue } from '../schema-check.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';

/** What the gateway puts where a secret was; sending it back keeps the stored secret. */
const REDACTED = '__OPENCLAW_REDACTED__';
// Same rule as the gateway's own redaction (lib/config/config-redaction.ts): `maxTokens` is not a secret.
const SENSITIVE_KEY = /(?:token|password|secret|apikey|api_key|passphrase)$/i;

type Json5 = { parse(text: string): unknown };

/**
 * The config file: its state (valid, issues), the effective config with secrets hidden, and an
 * editor that checks the text against `config.schema` before `config.set` (hot reload decides
 * what applies live) or `config.apply` (write, then the in-process restart it implies).
 */
export class ConfigView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #summary = h('div');
  readonly #effective = h('pre', { class: 'code', tabindex: 0, 'aria-label': 'Effective config' });
  readonly #editor = h('textarea', { id: 'config-editor', name: 'config', rows: 18, spellcheck: false, class: 'code' });
  readonly #issues = h('div', { 'aria-live': 'polite', 'data-testid': 'config-check' });
  readonly #status = statusLine();
  readonly #save = h('button', { type: 'button', class: 'primary' }, 'Save');
  readonly #apply = h('button', { type: 'button' }, 'Save & restart');
  readonly #revert = h('button', { type: 'button' }, 'Revert');
  readonly #body: HTMLElement;
  #snapshot: ConfigSnapshot | undefined;
  #schema: ConfigSchemaResult | undefined;
  #json5: Json5 | undefined;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#editor.addEventListener('input', () => {
      if (this.#checkTimer !== undefined) clearTimeout(this.#checkTimer);
      this.#checkTimer = setTimeout(() => this.#check(), 200);
    });
    this.#save.addEventListener('click', () => inBackground(ctx.session, 'config view', this.#write('set')));
    this.#apply.addEventListener('click', () => inBackground(ctx.session, 'config view', this.#write('apply')));
    this.#revert.addEventListener('click', () => this.#fillEditor());
    this.#body = h(
      'div',
      { class: 'view-body' },
      section('config-file-title', 'Config file', this.#summary),
      section(
        'config-edit-title',
        'Edit',
        h(
          'p',
          { class: 'muted' },
          'Secrets show as ',
          h('code', {}, REDACTED),
          '; leave them as they are to keep the stored values. Save writes the file and the gateway reloads it per gateway.reload.mode; Save & restart also restarts the gateway now.',
        ),
        h('label', { for: 'config-editor' }, 'Config file (JSON5)'),
        this.#editor,
        this.#issues,
        h('div', { class: 'actions' }, this.#save, this.#apply, this.#revert),
        this.#status,
      ),
      section('config-effective-title', 'Effective config (defaults applied, secrets hidden)', this.#effective),
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
  }

  show(): void {
    if (!this.#ctx.session.has('config.get')) {
      replaceChildren(this.el, unavailable('config.get'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    inBackground(this.#ctx.session, 'config view', this.#load(true));
  }

  hide(): void {}

  async #load(resetEditor: boolean): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    try {
      const [snapshot, schema, json5] = await Promise.all([
        session.client.call('config.get'),
        this.#schema ?? (session.has('config.schema') ? session.client.call('config.schema') : undefined),
        this.#json5 ?? import('json5').then((m) => (m.default ?? m) as Json5),
      ]);
      const changedOnDisk = this.#snapshot !== undefined && this.#snapshot.hash !== snapshot.hash;
      this.#snapshot = snapshot;
      this.#schema = schema;
      this.#json5 = json5;
      this.#renderSummary();
      if (resetEditor || changedOnDisk || this.#editor.value === '') this.#fillEditor();
    } catch (err) {
      session.reportError('config.get', err);
      this.#status.textContent = `Could not load the config: ${errorMessage(err)}`;
    }
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
        h('dd', { class: 'mono' }, s.hash.slice(0, 12)),
      ),
      issueList('Problems in the file', [...s.issues, ...s.legacyIssues]),
      issueList('Warnings', s.warnings),
    );
    this.#effective.textContent = JSON.stringify(hideSecrets(s.config), null, 2);
  }

  #fillEditor(): void {
    const s = this.#snapshot;
    if (!s) return;
    this.#editor.value = s.raw ?? `${JSON.stringify(hideSecrets(s.parsed ?? {}), null, 2)}\n`;
    this.#check();
  }

  /** Parses and schema-checks the editor text; returns the raw text when it may be sent. */
  #check(): string | undefined {
    const text = this.#editor.value;
    let issues: SchemaIssue[] = [];
    let parsed: unknown;
    try {
      parsed = this.#json5 ? this.#json5.parse(text) : JSON.parse(text);
    } catch (err) {
      issues = [{ path: '/', message: `does not parse: ${errorMessage(err)}` }];
    }
    if (issues.length === 0) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) issues = [{ path: '/', message: 'must be an object' }];
      else if (this.#schema) issues = checkSchema(this.#schema.schema, parsed);
    }
    const unchanged = text === (this.#snapshot?.raw ?? '');
    this.#editor.setAttribute('aria-invalid', String(issues.length > 0));
    replaceChildren(this.#issues, issues.length ? issueList('The edited config does not validate', issues) : h('p', { class: 'ok-text' }, this.#schema ? 'Matches the config schema.' : 'Parses (this gateway offers no config.schema to check against).'));
    this.#save.disabled = this.#apply.disabled = issues.length > 0 || unchanged;
    return issues.length === 0 ? text : undefined;
  }

  async #write(mode: 'set' | 'apply'): Promise<void> {
    const raw = this.#check();
    const snapshot = this.#snapshot;
    if (raw === undefined || !snapshot) return;
    const { session } = this.#ctx;
    this.#save.disabled = this.#apply.disabled = true;
    const baseHash = snapshot.exists ? snapshot.hash : undefined;
    try {
      if (mode === 'set') {
        await session.client.call('config.set', { raw, ...(baseHash ? { baseHash } : {}) });
        this.#status.textContent = 'Saved. The gateway reloads the file; hot-reloadable settings apply now.';
      } else {
        const result = await session.client.call('config.apply', { raw, ...(baseHash ? { baseHash } : {}), note: 'Applied from the Control UI' });
        const delay = result.restart.delayMs;
        this.#status.textContent = result.restart.ok
          ? `Saved. The gateway restarts in ${Math.round(delay / 100) / 10} s; this page reconnects by itself.`
          : `Saved, but the restart failed: ${result.restart.error ?? 'unknown error'}`;
      }
      await this.#load(true);
    } catch (err) {
      const details = err instanceof GatewayError ? (err.details as { issues?: SchemaIssue[] } | undefined) : undefined;
      this.#status.textContent = `Not saved: ${errorMessage(err)}`;
      if (details?.issues?.length) replaceChildren(this.#issues, issueList('The gateway refused the config', details.issues));
      session.reportError(`config.${mode}`, err);
      this.#save.disabled = this.#apply.disabled = false;
    }
  }
}

function issueList(title: string, issues: SchemaIssue[]): HTMLElement | null {
  if (issues.length === 0) return null;
  return h('div', { class: 'issues' }, h('p', {}, h('strong', {}, title)), h('ul', {}, ...issues.map((i) => h('li', {}, h('code', {}, i.path || '/'), ` ${i.message}`))));
}

/** Replaces string values under secret-looking keys, for display only. */
export function hideSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SENSITIVE_KEY.test(k) && typeof v === 'string' && v !== '' ? REDACTED : hideSecrets(v)]),
  );
}
