import { invalidRequest } from '../errors.js';
import type { WizardStep, WizardStepOption } from '../protocol/generated/types.js';

/**
 * Shows one step and resolves with its parsed answer. `parse` throws INVALID_REQUEST for an
 * answer of the wrong shape; the asker then keeps (or shows again) the same step.
 */
export type AskStep = <T>(step: WizardStep, parse: (value: unknown) => T) => Promise<T>;

/** Typed questions over any way of asking: the RPC session or a terminal. */
export class WizardPrompter {
  readonly #ask: AskStep;

  constructor(ask: AskStep) {
    this.#ask = ask;
  }

  note(id: string, message: string, title?: string): Promise<void> {
    return this.#ask({ id, type: 'note', message, ...(title ? { title } : {}) }, () => undefined);
  }

  text(step: { id: string; message: string; title?: string; initialValue?: string; placeholder?: string; sensitive?: boolean; optional?: boolean }): Promise<string> {
    const { optional, ...shown } = step;
    return this.#ask({ ...shown, type: 'text' }, (value) => {
      const text = value === undefined || value === null ? (step.initialValue ?? '') : value;
      if (typeof text !== 'string' || (!optional && text.trim() === '')) throw invalidAnswer(step.id, optional ? 'a string' : 'a non-empty string');
      return text.trim();
    });
  }

  confirm(step: { id: string; message: string; initialValue?: boolean }): Promise<boolean> {
    return this.#ask({ ...step, type: 'confirm' }, (value) => {
      const answer = value === undefined ? step.initialValue : value;
      if (typeof answer !== 'boolean') throw invalidAnswer(step.id, 'true or false');
      return answer;
    });
  }

  select<T extends string>(step: { id: string; message: string; options: (WizardStepOption & { value: T })[]; initialValue?: T }): Promise<T> {
    const allowed: unknown[] = step.options.map((o) => o.value);
    return this.#ask({ ...step, type: 'select' }, (value) => {
      const answer = value === undefined ? step.initialValue : value;
      if (!allowed.includes(answer)) throw invalidAnswer(step.id, `one of ${allowed.join(', ')}`);
      return answer as T;
    });
  }

  multiselect<T extends string>(step: { id: string; message: string; options: (WizardStepOption & { value: T })[]; initialValue?: T[] }): Promise<T[]> {
    const allowed: unknown[] = step.options.map((o) => o.value);
    return this.#ask({ ...step, type: 'multiselect' }, (value) => {
      const answer = value === undefined ? (step.initialValue ?? []) : value;
      if (!Array.isArray(answer) || !answer.every((v) => allowed.includes(v))) throw invalidAnswer(step.id, `a list of ${allowed.join(', ')}`);
      return [...new Set(answer as T[])];
    });
  }
}

function invalidAnswer(stepId: string, expected: string) {
  return invalidRequest(`invalid answer for wizard step ${stepId}: expected ${expected}`);
}
