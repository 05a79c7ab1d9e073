import type { PresenceEntry } from '../../../lib/protocol/generated/types.js';
import { badge, formatAgo, h, replaceChildren, table } from '../dom.js';
import { section, type View, type ViewContext } from './view.js';

/** Who is connected: the gateway itself, apps, nodes, browsers. Live from `presence` events. */
export class PresenceView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #list = h('div', { 'aria-live': 'polite' });
  readonly #summary = h('p', { class: 'muted' });

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.el = h('div', { class: 'view-body' }, section('presence-title', 'Connected clients', this.#summary, this.#list));
    ctx.session.on('presence', () => this.#render());
  }

  show(): void {
    this.#render();
  }

  hide(): void {}

  #render(): void {
    const entries = this.#ctx.session.presence;
    const present = entries.filter((e) => e.reason !== 'disconnect');
    this.#summary.textContent = `${present.length} present, ${entries.length - present.length} recently left.`;
    replaceChildren(
      this.#list,
      table(
        'Presence',
        ['Host', 'Mode', 'Platform', 'Version', 'Address', 'State', 'Last seen'],
        entries.map((e) => [
          e.host ?? e.instanceId ?? e.deviceId ?? '—',
          e.mode ?? '—',
          e.platform ?? '—',
          e.version ?? '—',
          e.ip ?? '—',
          stateBadge(e),
          formatAgo(e.ts),
        ]),
        'Nobody is connected.',
      ),
    );
  }
}

function stateBadge(entry: PresenceEntry): HTMLElement {
  if (entry.reason === 'self') return badge('gateway', 'ok');
  if (entry.reason === 'disconnect') return badge('left', 'muted');
  return badge(entry.reason ?? 'present', 'ok');
}
