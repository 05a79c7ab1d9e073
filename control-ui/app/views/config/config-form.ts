import type { ConfigUiHint } from '../../../../lib/protocol/generated/types.js';
import { h, replaceChildren } from '../../dom.js';
import { isObject, isSensitivePath, setValueAt, valueAt, type Json, type JsonObject } from './config-diff.js';
import { scalarField } from './scalar-field.js';
import { branchLabel, classify, emptyValue, fitsBranch, resolveNode, type SchemaNode } from './schema-node.js';

export interface ConfigFormOptions {
  schema: SchemaNode;
  hints: Record<string, ConfigUiHint>;
  /** Edited in place. */
  draft: JsonObject;
  onChange(): void;
}

interface At {
  /** Where the value is in the config: real keys and array indexes. */
  path: string[];
  /** Where its hint is: map keys as `*`, array items as `key[]` (the uiHints shape). */
  hintPath: string[];
}

/**
 * The config as a form, drawn from `config.schema` and its `uiHints`: one collapsible group per
 * top-level key (in hint order), nested objects as collapsible sections drawn when first opened,
 * lists and maps with add/remove, secrets as password fields. Every edit goes into the draft.
 */
export class ConfigForm {
  readonly el: HTMLElement;
  readonly #options: ConfigFormOptions;
  /** Each section's "not set" mark and the path it stands for, updated as the draft changes. */
  readonly #marks = new Map<HTMLElement, string[]>();
  #ids = 0;

  constructor(options: ConfigFormOptions) {
    this.#options = options;
    const root = resolveNode(options.schema, options.schema);
    const kind = classify(root, options.schema);
    const groups = kind.kind === 'object' ? kind.properties : [];
    const order = (key: string) => options.hints[key]?.order ?? Number.MAX_SAFE_INTEGER;
    const sorted = groups.filter(([key, node]) => key !== '$schema' && this.#shown(node, [key])).sort((a, b) => order(a[0]) - order(b[0]));
    this.el = h('div', { class: 'cfg-form' }, ...sorted.map(([key, node]) => this.#section(node, { path: [key], hintPath: [key] }, true)));
  }

  /** Keys the gateway accepts but does not use stay out of the form unless the file sets them. */
  #shown(node: SchemaNode, path: string[]): boolean {
    return node['x-unused'] !== true || valueAt(this.#options.draft, path) !== undefined;
  }

  #hint(at: At): ConfigUiHint {
    const { hints } = this.#options;
    return hints[at.path.join('.')] ?? hints[at.hintPath.join('.')] ?? {};
  }

  #label(at: At): string {
    return this.#hint(at).label ?? at.path.at(-1) ?? '';
  }

  #id(): string {
    this.#ids += 1;
    return `cfg-${this.#ids}`;
  }

  #set(at: At, value: Json | undefined): void {
    setValueAt(this.#options.draft, at.path, value);
    for (const [mark, path] of this.#marks) {
      if (mark.isConnected) mark.hidden = valueAt(this.#options.draft, path) !== undefined;
      else this.#marks.delete(mark);
    }
    this.#options.onChange();
  }

  /**
   * Any value: a collapsible section for objects, a list or map editor, a choice, or one input.
   * `required` is true, false, or 'entry' for a list item or map value (removed, not unset).
   */
  #field(node: SchemaNode, at: At, required: boolean | 'entry', label = this.#label(at)): HTMLElement {
    const kind = classify(node, this.#options.schema);
    if (kind.kind === 'object' || kind.kind === 'map') return this.#section(node, at, false, label);
    if (kind.kind === 'array') return this.#list(kind.items, at, label);
    if (kind.kind === 'choice') return this.#choice(kind.branches, at, required, label);
    const hint = this.#hint(at);
    const holder = h('div', { class: 'cfg-holder' });
    const draw = () =>
      replaceChildren(
        holder,
        scalarField(kind, {
          id: this.#id(),
          label,
          help: hint.help ?? (typeof node.description === 'string' ? node.description : undefined),
          placeholder: hint.placeholder,
          sensitive: isSensitivePath(at.path, () => hint.sensitive === true),
          required: required === true,
          unsettable: required === false,
          value: valueAt(this.#options.draft, at.path),
          defaultValue: node.default,
          set: (value) => this.#set(at, value),
          rerender: draw,
        }),
      );
    draw();
    return holder;
  }

  /** An object: its properties (and any extra keys it allows), drawn when first opened. */
  #section(node: SchemaNode, at: At, group: boolean, label = this.#label(at)): HTMLElement {
    const hint = this.#hint(at);
    const body = h('div', { class: 'cfg-body', role: 'group', 'aria-label': label });
    const unset = h('span', { class: 'muted', hidden: valueAt(this.#options.draft, at.path) !== undefined }, ' · not set');
    this.#marks.set(unset, at.path);
    const details = h(
      'details',
      { class: group ? 'cfg-group card' : 'cfg-object', 'data-path': at.path.join('.') },
      h('summary', {}, h('span', { class: 'cfg-summary' }, label), unset),
      body,
    );
    let drawn = false;
    const draw = () => {
      drawn = true;
      const help = hint.help ?? (typeof node.description === 'string' ? node.description : undefined);
      const kind = classify(node, this.#options.schema);
      const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
      const children: HTMLElement[] = [];
      if (kind.kind === 'object') {
        for (const [key, child] of kind.properties) {
          if (this.#shown(child, [...at.path, key])) children.push(this.#field(child, { path: [...at.path, key], hintPath: [...at.hintPath, key] }, required.has(key)));
        }
      }
      const extra = kind.kind === 'map' ? kind.values : kind.kind === 'object' ? kind.extra : undefined;
      if (extra) children.push(this.#map(extra, at, label, kind.kind === 'object' ? kind.properties.map(([k]) => k) : []));
      replaceChildren(body, help ? h('p', { class: 'cfg-help muted' }, help) : null, ...children);
    };
    details.addEventListener('toggle', () => {
      if (details.open && !drawn) draw();
    });
    return details;
  }

  /** Keys of a map (additionalProperties): each value with Remove, and a key box to add one. */
  #map(values: SchemaNode, at: At, label: string, fixed: string[]): HTMLElement {
    const list = h('div', { class: 'cfg-entries' });
    const keyInput = h('input', { id: this.#id(), type: 'text', autocomplete: 'off', spellcheck: false });
    const problem = h('p', { class: 'cfg-problem', role: 'status' });
    const draw = () => {
      const current = valueAt(this.#options.draft, at.path);
      const keys = isObject(current) ? Object.keys(current).filter((k) => !fixed.includes(k)) : [];
      replaceChildren(
        list,
        keys.length === 0 ? h('p', { class: 'empty' }, 'No entries.') : null,
        ...keys.map((key) => {
          const entry = { path: [...at.path, key], hintPath: [...at.hintPath, '*'] };
          const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${key} from ${label}` }, 'Remove');
          remove.addEventListener('click', () => {
            this.#set(entry, undefined);
            draw();
          });
          return h('div', { class: 'cfg-entry' }, this.#field(values, entry, 'entry', key), remove);
        }),
      );
    };
    const add = h('button', { type: 'button' }, 'Add');
    add.addEventListener('click', () => {
      const key = keyInput.value.trim();
      const current = valueAt(this.#options.draft, at.path);
      if (key === '') return void (problem.textContent = 'Type a key first.');
      if (isObject(current) && key in current) return void (problem.textContent = `${key} is already there.`);
      problem.textContent = '';
      const entryHint = this.#hint({ path: [...at.path, key], hintPath: [...at.hintPath, '*'] });
      this.#set({ path: [...at.path, key], hintPath: [] }, emptyValue(values, this.#options.schema, entryHint));
      keyInput.value = '';
      draw();
      openAndFocus(list.lastElementChild);
    });
    draw();
    return h(
      'fieldset',
      { class: 'cfg-map' },
      h('legend', {}, fixed.length ? `Other ${label} entries` : label),
      list,
      h('div', { class: 'cfg-add' }, h('label', { for: keyInput.id }, `New key in ${label}`), keyInput, add),
      problem,
    );
  }

  /** An array: each item with Remove, and Add for a new one. */
  #list(items: SchemaNode, at: At, label: string): HTMLElement {
    const list = h('div', { class: 'cfg-entries' });
    const itemAt = (i: number): At => ({ path: [...at.path, String(i)], hintPath: [...at.hintPath.slice(0, -1), `${at.hintPath.at(-1)}[]`] });
    const draw = () => {
      const current = valueAt(this.#options.draft, at.path);
      const values = Array.isArray(current) ? current : [];
      replaceChildren(
        list,
        values.length === 0 ? h('p', { class: 'empty' }, current === undefined ? 'Not set.' : 'Empty list.') : null,
        ...values.map((_, i) => {
          const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${label} item ${i + 1}` }, 'Remove');
          remove.addEventListener('click', () => {
            this.#set(itemAt(i), undefined);
            draw();
          });
          return h('div', { class: 'cfg-entry' }, this.#field(items, itemAt(i), 'entry', `${label} ${i + 1}`), remove);
        }),
      );
    };
    const add = h('button', { type: 'button', 'aria-label': `Add to ${label}` }, 'Add');
    add.addEventListener('click', () => {
      const current = valueAt(this.#options.draft, at.path);
      const values = Array.isArray(current) ? current : [];
      this.#set(at, [...values, emptyValue(items, this.#options.schema, this.#hint(itemAt(values.length)))]);
      draw();
      openAndFocus(list.lastElementChild);
    });
    draw();
    const help = this.#hint(at).help;
    return h('fieldset', { class: 'cfg-list' }, h('legend', {}, label), help ? h('p', { class: 'cfg-help muted' }, help) : null, list, h('div', { class: 'cfg-add' }, add));
  }

  /** anyOf/oneOf of different shapes (a secret as text or as a reference): pick the form, then fill it. */
  #choice(branches: SchemaNode[], at: At, required: boolean | 'entry', label: string): HTMLElement {
    const { schema } = this.#options;
    const picker = h('select', { id: this.#id() });
    branches.forEach((b, i) => picker.append(h('option', { value: String(i) }, branchLabel(b, schema))));
    const holder = h('div', { class: 'cfg-choice-body' });
    const draw = () => {
      const value = valueAt(this.#options.draft, at.path);
      const index = Math.max(0, branches.findIndex((b) => value !== undefined && fitsBranch(value, b, schema)));
      picker.value = String(index);
      replaceChildren(holder, this.#field(resolveNode(branches[index], schema), at, required, label));
    };
    picker.addEventListener('change', () => {
      this.#set(at, emptyValue(branches[Number(picker.value)]!, schema));
      draw();
    });
    draw();
    return h('div', { class: 'cfg-choice' }, h('label', { for: picker.id, class: 'muted' }, `${label}: form`), picker, holder);
  }
}

/** After Add: the new entry is open (if a section) and its first control has focus. */
function openAndFocus(entry: Element | null): void {
  if (!entry) return;
  for (const details of Array.from(entry.querySelectorAll('details'))) {
    details.open = true;
    details.dispatchEvent(new Event('toggle'));
  }
  (entry.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
}
