import { h } from '../../dom.js';
import { REDACTED, type Json } from './config-diff.js';
import type { FieldKind } from './schema-node.js';

/** One editable value: where it is shown and how an edit reaches the draft. */
export interface FieldContext {
  id: string;
  label: string;
  help: string | undefined;
  placeholder: string | undefined;
  sensitive: boolean;
  required: boolean;
  /** Whether an Unset button is offered (not for list items and map entries: those have Remove). */
  unsettable: boolean;
  value: unknown;
  defaultValue: unknown;
  /** `undefined` unsets the key (the gateway then uses its default). */
  set(value: Json | undefined): void;
  /** Draws the field again from the draft (after Unset). */
  rerender(): void;
}

/** Label, control, help and (for a set optional value) an Unset button, wired together. */
export function scalarField(kind: FieldKind, ctx: FieldContext): HTMLElement {
  const helpId = ctx.help ? `${ctx.id}-help` : undefined;
  const control = controlFor(kind, ctx);
  if (helpId) control.setAttribute('aria-describedby', helpId);
  const row = h('div', { class: 'cfg-control' }, control);
  if (ctx.sensitive) row.append(revealButton(control as HTMLInputElement, ctx.label));
  if (ctx.unsettable && !ctx.required && ctx.value !== undefined && !(ctx.sensitive && ctx.value === REDACTED)) {
    row.append(h('button', { type: 'button', class: 'link-button', 'aria-label': `Unset ${ctx.label}`, onclick: () => (ctx.set(undefined), ctx.rerender()) }, 'Unset'));
  }
  return h(
    'div',
    { class: 'cfg-field' },
    h('label', { for: ctx.id }, ctx.label, ctx.required ? h('span', { class: 'muted' }, ' (required)') : null),
    row,
    ctx.help ? h('p', { class: 'cfg-help muted', id: helpId }, ctx.help) : null,
  );
}

function controlFor(kind: FieldKind, ctx: FieldContext): HTMLElement {
  switch (kind.kind) {
    case 'boolean':
      return checkbox(ctx);
    case 'enum':
      return select(kind.options, ctx);
    case 'number':
      return numberInput(kind, ctx);
    case 'scalar':
      return textInput(ctx, (text) => parseScalar(text, kind.types));
    case 'json':
      return jsonInput(ctx);
    default:
      return textInput(ctx, (text) => text);
  }
}

function checkbox(ctx: FieldContext): HTMLElement {
  const checked = typeof ctx.value === 'boolean' ? ctx.value : ctx.defaultValue === true;
  const input = h('input', { id: ctx.id, type: 'checkbox', checked });
  input.addEventListener('change', () => ctx.set(input.checked));
  return input;
}

function select(options: Json[], ctx: FieldContext): HTMLElement {
  const el = h('select', { id: ctx.id });
  if (!ctx.required || ctx.value === undefined) {
    const fallback = ctx.defaultValue !== undefined ? `(default: ${String(ctx.defaultValue)})` : '(not set)';
    el.append(h('option', { value: '' }, fallback));
  }
  options.forEach((option, i) => el.append(h('option', { value: String(i), selected: option === ctx.value }, String(option))));
  el.addEventListener('change', () => ctx.set(el.value === '' ? undefined : options[Number(el.value)]));
  return el;
}

function numberInput(kind: Extract<FieldKind, { kind: 'number' }>, ctx: FieldContext): HTMLElement {
  const input = h('input', {
    id: ctx.id,
    type: 'number',
    inputmode: kind.integer ? 'numeric' : 'decimal',
    step: kind.integer ? 1 : 'any',
    min: kind.min,
    max: kind.max,
    value: typeof ctx.value === 'number' ? ctx.value : undefined,
    placeholder: placeholderOf(ctx),
  });
  input.addEventListener('input', () => {
    const text = input.value.trim();
    const value = text === '' ? undefined : Number(text);
    // The browser's own range check, so an out-of-bounds number is flagged where it was typed.
    input.setAttribute('aria-invalid', String(!input.validity.valid));
    if (value === undefined || Number.isFinite(value)) ctx.set(value);
  });
  return input;
}

function textInput(ctx: FieldContext, parse: (text: string) => Json): HTMLElement {
  const stored = ctx.sensitive && ctx.value === REDACTED;
  const input = h('input', {
    id: ctx.id,
    type: ctx.sensitive ? 'password' : 'text',
    autocomplete: 'off',
    spellcheck: false,
    value: stored || ctx.value === undefined ? '' : String(ctx.value as string),
    placeholder: stored ? 'stored (hidden); type to replace it' : placeholderOf(ctx),
  });
  input.addEventListener('input', () => {
    const text = input.value;
    // An emptied secret field keeps the stored secret; an emptied text field unsets the key.
    ctx.set(text === '' ? (stored ? REDACTED : undefined) : parse(text));
  });
  return input;
}

function jsonInput(ctx: FieldContext): HTMLElement {
  const area = h('textarea', { id: ctx.id, class: 'code', rows: 3, spellcheck: false });
  area.value = ctx.value === undefined ? '' : JSON.stringify(ctx.value, null, 2);
  area.addEventListener('input', () => {
    if (area.value.trim() === '') return ctx.set(undefined);
    try {
      ctx.set(JSON.parse(area.value) as Json);
      area.setAttribute('aria-invalid', 'false');
    } catch {
      area.setAttribute('aria-invalid', 'true');
    }
  });
  return area;
}

function revealButton(input: HTMLInputElement, label: string): HTMLElement {
  // A toggle keeps its name; aria-pressed says whether the value is shown.
  const button = h('button', { type: 'button', 'aria-pressed': 'false', 'aria-label': `Show ${label}` }, 'Show');
  button.addEventListener('click', () => {
    const shown = input.type === 'password';
    input.type = shown ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(shown));
  });
  return button;
}

function placeholderOf(ctx: FieldContext): string | undefined {
  if (ctx.placeholder) return ctx.placeholder;
  return ctx.defaultValue !== undefined && typeof ctx.defaultValue !== 'object' ? `default: ${String(ctx.defaultValue)}` : undefined;
}

/** Text for a field typed `["string", "number", …]`: a number or true/false where allowed, else the text. */
function parseScalar(text: string, types: string[]): Json {
  const trimmed = text.trim();
  if ((types.includes('number') || types.includes('integer')) && /^-?\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    if (types.includes('number') || Number.isInteger(n)) return n;
  }
  if (types.includes('boolean') && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  return text;
}
