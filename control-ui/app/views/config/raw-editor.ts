import { errorMessage, h, replaceChildren } from '../../dom.js';
import { checkSchema, type SchemaIssue } from '../../schema-check.js';
import { isObject, type JsonObject } from './config-diff.js';
import { issueList } from './issue-list.js';

type Json5 = { parse(text: string): unknown };
let json5: Promise<Json5> | undefined;

/** JSON5 is only needed by this mode, so it stays in its own chunk until the mode is opened. */
function loadJson5(): Promise<Json5> {
  json5 ??= import('json5').then((m) => (m.default ?? m) as Json5);
  return json5;
}

export interface RawEditorOptions {
  schema: () => Record<string, unknown> | undefined;
  /** The text parses to an object (it may still break schema rules; those are listed). */
  onParsed(value: JsonObject): void;
  /** Runs the check started by typing, reporting what it did not expect. */
  background(work: Promise<unknown>): void;
}

/** The config as JSON5 text: parsed and schema-checked as it is typed. */
export class RawEditor {
  readonly el: HTMLElement;
  readonly #options: RawEditorOptions;
  readonly #area = h('textarea', { id: 'config-editor', name: 'config', rows: 18, spellcheck: false, class: 'code' });
  readonly #issues = h('div', { 'aria-live': 'polite', 'data-testid': 'config-check' });
  #timer: ReturnType<typeof setTimeout> | undefined;
  #valid = true;

  constructor(options: RawEditorOptions) {
    this.#options = options;
    this.#area.addEventListener('input', () => {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => options.background(this.check()), 200);
    });
    this.el = h(
      'div',
      { class: 'cfg-raw' },
      h('label', { for: 'config-editor' }, 'Config file (JSON5)'),
      this.#area,
      this.#issues,
    );
  }

  get text(): string {
    return this.#area.value;
  }

  /** Whether the text last checked parses (schema problems aside). */
  get valid(): boolean {
    return this.#valid;
  }

  async fill(text: string): Promise<void> {
    this.#area.value = text;
    await this.check();
  }

  /** Parses and schema-checks the text; reports a parsed object to the view. */
  async check(): Promise<boolean> {
    const text = this.#area.value;
    let parsed: unknown;
    let issues: SchemaIssue[] = [];
    try {
      parsed = (await loadJson5()).parse(text);
      if (!isObject(parsed)) issues = [{ path: '/', message: 'must be an object' }];
    } catch (err) {
      issues = [{ path: '/', message: `does not parse: ${errorMessage(err)}` }];
    }
    if (text !== this.#area.value) return this.#valid;
    this.#valid = issues.length === 0;
    const schema = this.#options.schema();
    if (this.#valid && schema) issues = checkSchema(schema, parsed);
    this.#area.setAttribute('aria-invalid', String(issues.length > 0));
    replaceChildren(
      this.#issues,
      issues.length
        ? issueList('The edited config does not validate', issues)
        : h('p', { class: 'ok-text' }, schema ? 'Matches the config schema.' : 'Parses (this gateway offers no config.schema to check against).'),
    );
    if (this.#valid) this.#options.onParsed(parsed as JsonObject);
    return this.#valid;
  }
}
