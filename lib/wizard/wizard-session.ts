import { GatewayError, invalidRequest } from '../errors.js';
import type { WizardNextResult, WizardStep } from '../protocol/generated/types.js';
import { WizardPrompter } from './wizard-prompter.js';

export type WizardRunStatus = 'running' | 'done' | 'cancelled' | 'error';
export type WizardFlow = (prompter: WizardPrompter) => Promise<void>;

interface PendingStep {
  step: WizardStep;
  parse: (value: unknown) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * One wizard run driven over RPC: the flow runs until it asks a step, then waits for `next`
 * with that step's answer. An answer of the wrong shape is refused and the step stays current.
 */
export class WizardSession {
  readonly id: string;
  #status: WizardRunStatus = 'running';
  #error?: string;
  #pending?: PendingStep;
  /** Woken when the flow asks its next step or ends. */
  #wake?: () => void;

  constructor(id: string, flow: WizardFlow) {
    this.id = id;
    const ask = <T>(step: WizardStep, parse: (value: unknown) => T) =>
      new Promise<T>((resolve, reject) => {
        if (this.#status !== 'running') return reject(new GatewayError('CLOSED', 'wizard cancelled'));
        this.#pending = { step, parse, resolve: resolve as (value: unknown) => void, reject };
        this.#notify();
      });
    flow(new WizardPrompter(ask)).then(
      () => this.#finish('done'),
      (err: unknown) => this.#finish(this.#status === 'cancelled' ? 'cancelled' : 'error', err),
    );
  }

  get status(): WizardRunStatus {
    return this.#status;
  }

  get error(): string | undefined {
    return this.#error;
  }

  /** The current step once the flow has asked one (or ended). */
  async current(): Promise<WizardNextResult> {
    if (this.#status === 'running' && !this.#pending) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#snapshot();
  }

  /** Answers the current step and waits for the next one; without an answer, repeats the current one. */
  async next(answer?: { stepId: string; value?: unknown }): Promise<WizardNextResult> {
    if (this.#status !== 'running') return this.#snapshot();
    const pending = this.#pending;
    if (!answer || !pending) return this.current();
    if (answer.stepId !== pending.step.id) throw invalidRequest(`wizard is at step ${pending.step.id}, not ${answer.stepId}`);
    const value = pending.parse(answer.value);
    this.#pending = undefined;
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    pending.resolve(value);
    await woken;
    return this.#snapshot();
  }

  cancel(): void {
    if (this.#status !== 'running') return;
    this.#status = 'cancelled';
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(new GatewayError('CLOSED', 'wizard cancelled'));
    this.#notify();
  }

  #finish(status: WizardRunStatus, err?: unknown): void {
    if (this.#status === 'running') this.#status = status;
    if (err !== undefined && this.#status === 'error') this.#error = err instanceof Error ? err.message : String(err);
    this.#pending = undefined;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #snapshot(): WizardNextResult {
    if (this.#status === 'running' && this.#pending) return { done: false, step: this.#pending.step, status: 'running' };
    return { done: true, status: this.#status, ...(this.#error ? { error: this.#error } : {}) };
  }
}
