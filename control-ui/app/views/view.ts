import type { ControlSession } from '../control-session.js';
import { h } from '../dom.js';

/** One screen of the Control UI. The shell shows one at a time and tells it when. */
export interface View {
  readonly el: HTMLElement;
  /** The view became visible, or the connection came (back): load what it shows. */
  show(): void;
  hide(): void;
}

export interface ViewContext {
  session: ControlSession;
}

/**
 * Async work a view starts from a click, a timer or show() without waiting for it: the work
 * reports the failures it expects itself; anything else (a rendering bug) still lands in the
 * session's error list, shown under Last errors.
 */
export function inBackground(session: ControlSession, where: string, work: Promise<unknown>): void {
  work.catch((err: unknown) => session.reportError(where, err));
}

/** The notice a view shows in place of a feature whose method this gateway does not offer. */
export function unavailable(method: string): HTMLElement {
  return h('p', { class: 'notice', role: 'note' }, `Not available on this gateway (it does not offer ${method}).`);
}

/** A status line for the results of actions (approve, save, send): announced to screen readers. */
export function statusLine(): HTMLElement {
  return h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
}

/** A heading + body block; `id` names the heading so the region is labelled. */
export function section(id: string, title: string, ...body: (Node | string)[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}
