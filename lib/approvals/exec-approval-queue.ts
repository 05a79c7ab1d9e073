import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import { invalidRequest } from '../errors.js';
import type { ExecApprovalRequest, ExecApprovalRequestedPayload, ExecApprovalResolvedPayload } from '../protocol/generated/types.js';
import type { ExecApprovalDecisionValue } from './exec-approval-policy.js';

/** Upstream's: how long an operator has to answer when the request names no `timeoutMs`. */
export const DEFAULT_EXEC_APPROVAL_TIMEOUT_MS = 120_000;

export interface ExecApprovalQueueOptions {
  clock: Clock;
  defaultTimeoutMs?: number;
  /** A new request for the operators (`exec.approval.requested`). */
  onRequested(payload: ExecApprovalRequestedPayload): void;
  /** A decision, or an expiry with decision null (`exec.approval.resolved`). */
  onResolved(payload: ExecApprovalResolvedPayload): void;
}

export interface ExecApprovalAsk {
  id?: string;
  request: ExecApprovalRequest;
  timeoutMs?: number;
}

/** How one request ended: an operator's decision, or null when it expired unanswered. */
export interface ExecApprovalOutcome {
  id: string;
  decision: ExecApprovalDecisionValue | null;
  createdAtMs: number;
  expiresAtMs: number;
}

interface Pending {
  readonly outcome: Omit<ExecApprovalOutcome, 'decision'>;
  readonly request: ExecApprovalRequest;
  readonly timer: TimerHandle;
  readonly settle: (decision: ExecApprovalDecisionValue | null) => void;
}

/**
 * Commands waiting for an operator's decision. Each ends exactly once: by `resolve`, or by its
 * timeout with decision null; either way `onResolved` announces it and nothing stays behind.
 */
export class ExecApprovalQueue {
  readonly #options: ExecApprovalQueueOptions;
  readonly #pending = new Map<string, Pending>();

  constructor(options: ExecApprovalQueueOptions) {
    this.#options = options;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Announces the request and resolves with its outcome. Throws when `id` is already waiting. */
  ask(input: ExecApprovalAsk): Promise<ExecApprovalOutcome> {
    const id = input.id ?? randomUUID();
    if (this.#pending.has(id)) throw invalidRequest('approval id already pending');
    const { clock } = this.#options;
    const createdAtMs = clock.now();
    const expiresAtMs = createdAtMs + (input.timeoutMs ?? this.#options.defaultTimeoutMs ?? DEFAULT_EXEC_APPROVAL_TIMEOUT_MS);
    const outcome = { id, createdAtMs, expiresAtMs };
    const result = new Promise<ExecApprovalOutcome>((resolve) => {
      const timer = clock.setTimeout(() => this.#finish(id, null, null), expiresAtMs - createdAtMs);
      this.#pending.set(id, { outcome, request: input.request, timer, settle: (decision) => resolve({ ...outcome, decision }) });
    });
    this.#options.onRequested({ id, request: input.request, createdAtMs, expiresAtMs });
    return result;
  }

  /** The requests still waiting, oldest first, as `exec.approval.requested` announced them. */
  list(): ExecApprovalRequestedPayload[] {
    return [...this.#pending.values()].map(({ outcome, request }) => ({ ...outcome, request }));
  }

  /** An operator's answer; throws INVALID_REQUEST for an id nobody waits on (unknown, decided or expired). */
  resolve(id: string, decision: ExecApprovalDecisionValue, resolvedBy: string | null): void {
    if (!this.#pending.has(id)) throw invalidRequest('unknown approval id');
    this.#finish(id, decision, resolvedBy);
  }

  /**
   * Ends every waiting request as denied, without announcing it: the gateway is stopping, and an
   * unanswered request must not fall back to running.
   */
  close(): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      this.#options.clock.clearTimeout(pending.timer);
      pending.settle('deny');
    }
  }

  #finish(id: string, decision: ExecApprovalDecisionValue | null, resolvedBy: string | null): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#options.clock.clearTimeout(pending.timer);
    pending.settle(decision);
    this.#options.onResolved({ id, decision, resolvedBy, ts: this.#options.clock.now() });
  }
}
