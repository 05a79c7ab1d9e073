import { parseLogLine } from '../../../lib/logging/parse-log-line.js';
import { errorMessage, h, replaceChildren } from '../dom.js';
import { inBackground, unavailable, type View, type ViewContext } from './view.js';

const POLL_MS = 1_000;
const MAX_LINES = 2_000;

/** Live tail of the gateway's file log through `logs.tail` (cursor-based polling) with pause and filter. */
export class LogsView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #lines = h('div', { class: 'log-lines', role: 'log', 'aria-live': 'off', 'aria-label': 'Log lines', tabindex: 0 });
  readonly #pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  readonly #filter = h('input', { id: 'logs-filter', type: 'search', name: 'filter', placeholder: 'text in the line' });
  readonly #info = h('p', { class: 'muted', role: 'status' });
  readonly #body: HTMLElement;
  #cursor: number | undefined;
  #paused = false;
  #visible = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling = false;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#pause.addEventListener('click', () => this.#setPaused(!this.#paused));
    this.#filter.addEventListener('input', () => this.#applyFilter());
    this.#body = h(
      'div',
      { class: 'logs' },
      h(
        'div',
        { class: 'logs-toolbar' },
        this.#pause,
        h('label', { for: 'logs-filter' }, 'Filter'),
        this.#filter,
        h('button', { type: 'button', onclick: () => replaceChildren(this.#lines) }, 'Clear'),
      ),
      this.#info,
      this.#lines,
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('status', (status) => {
      if (status.kind === 'open' && this.#visible) this.#schedule(0);
    });
  }

  show(): void {
    this.#visible = true;
    if (!this.#ctx.session.has('logs.tail')) {
      replaceChildren(this.el, unavailable('logs.tail'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    this.#schedule(0);
  }

  hide(): void {
    this.#visible = false;
    this.#stop();
  }

  #setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#pause.setAttribute('aria-pressed', String(paused));
    this.#pause.textContent = paused ? 'Resume' : 'Pause';
    // The cursor stays where it was, so resuming picks up every line written while paused.
    if (paused) this.#stop();
    else this.#schedule(0);
    this.#info.textContent = paused ? 'Paused.' : 'Following the log.';
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    this.#stop();
    if (!this.#visible || this.#paused) return;
    this.#timer = setTimeout(() => inBackground(this.#ctx.session, 'logs view', this.#poll()), delayMs);
  }

  async #poll(): Promise<void> {
    const { session } = this.#ctx;
    if (this.#polling || session.status.kind !== 'open') return;
    this.#polling = true;
    try {
      const result = await session.client.call('logs.tail', { ...(this.#cursor === undefined ? {} : { cursor: this.#cursor }), limit: 500 });
      if (this.#paused) return;
      if (result.reset && this.#cursor !== undefined) this.#lines.append(h('div', { class: 'log-notice' }, '— log file rotated or truncated —'));
      this.#cursor = result.cursor;
      this.#append(result.lines);
      this.#info.textContent = `Following ${result.file}`;
    } catch (err) {
      this.#info.textContent = `Could not read the log: ${errorMessage(err)}`;
    } finally {
      this.#polling = false;
    }
    this.#schedule(POLL_MS);
  }

  #append(lines: string[]): void {
    if (lines.length === 0) return;
    const atBottom = this.#lines.scrollTop + this.#lines.clientHeight >= this.#lines.scrollHeight - 8;
    const filter = this.#filter.value.toLowerCase();
    for (const raw of lines) {
      const parsed = parseLogLine(raw);
      const item = parsed
        ? h(
            'div',
            { class: `log-line level-${parsed.level ?? 'info'}` },
            h('span', { class: 'log-time' }, parsed.time ? new Date(parsed.time).toLocaleTimeString() : ''),
            h('span', { class: 'log-level' }, parsed.level ?? ''),
            h('span', { class: 'log-subsystem' }, parsed.subsystem ?? ''),
            h('span', { class: 'log-message' }, parsed.message),
          )
        : h('div', { class: 'log-line' }, h('span', { class: 'log-message' }, raw));
      item.hidden = filter !== '' && !item.textContent!.toLowerCase().includes(filter);
      this.#lines.append(item);
    }
    while (this.#lines.childElementCount > MAX_LINES) this.#lines.firstElementChild!.remove();
    if (atBottom) this.#lines.scrollTop = this.#lines.scrollHeight;
  }

  #applyFilter(): void {
    const filter = this.#filter.value.toLowerCase();
    for (const item of Array.from(this.#lines.children)) (item as HTMLElement).hidden = filter !== '' && !item.textContent!.toLowerCase().includes(filter);
  }
}
