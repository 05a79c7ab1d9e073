import type { ModelChoice, SessionRow } from '../../../lib/protocol/generated/types.js';
import { badge, formatAgo, h, replaceChildren } from '../dom.js';
import { reportedError } from './reported-error.js';
import { SessionDetails } from './session-details.js';
import { inBackground, section, unavailable, type View, type ViewContext } from './view.js';

const PAGE = 50;

/**
 * Sessions: the list (`sessions.list`, searched by key or label, paged), and for the one picked its
 * overrides, preview, reset, compact and delete (SessionDetails).
 */
export class SessionsView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #search = h('input', { id: 'sessions-search', type: 'search', name: 'search', placeholder: 'key or label', autocomplete: 'off' });
  readonly #info = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  readonly #list = h('div');
  readonly #more = h('button', { type: 'button', hidden: true }, 'Show more');
  /** Why the list does not follow changes live, when it does not. */
  readonly #live = h('div');
  readonly #details: SessionDetails;
  readonly #body: HTMLElement;
  #rows: SessionRow[] = [];
  #models: ModelChoice[] = [];
  #selected: string | undefined;
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #changedTimer: ReturnType<typeof setTimeout> | undefined;
  #visible = false;
  /** Only the newest list request may render: a slow older search must not overwrite it. */
  #generation = 0;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#details = new SessionDetails(ctx, {
      changed: () => inBackground(ctx.session, 'sessions view', this.#load()),
      deleted: (key) => {
        if (this.#selected === key) this.#select(undefined);
        // The panel that had focus is gone: keyboard users continue from the search field.
        this.#search.focus();
        inBackground(ctx.session, 'sessions view', this.#load());
      },
    });
    const form = h(
      'form',
      {
        class: 'sessions-toolbar',
        role: 'search',
        onsubmit: (e: Event) => {
          e.preventDefault();
          inBackground(ctx.session, 'sessions view', this.#load());
        },
      },
      h('label', { for: 'sessions-search' }, 'Search sessions'),
      this.#search,
      h('button', { type: 'submit' }, 'Search'),
      h('button', { type: 'button', onclick: () => inBackground(ctx.session, 'sessions view', this.#load()) }, 'Refresh'),
    );
    this.#search.addEventListener('input', () => {
      if (this.#searchTimer !== undefined) clearTimeout(this.#searchTimer);
      this.#searchTimer = setTimeout(() => inBackground(ctx.session, 'sessions view', this.#load()), 250);
    });
    this.#more.addEventListener('click', () => inBackground(ctx.session, 'sessions view', this.#load(this.#rows.length)));
    this.#body = h(
      'div',
      { class: 'view-body sessions' },
      section('sessions-list-title', 'Sessions', form, this.#info, this.#live, this.#list, this.#more),
      this.#details.el,
    );
    this.el = h('div', { class: 'view-body' }, this.#body);
    // Rows change as agents run (sessions.subscribe): a burst of changes is one reload.
    ctx.session.on('event', ({ event }) => {
      if (event !== 'sessions.changed' || !this.#visible || this.#changedTimer !== undefined) return;
      this.#changedTimer = setTimeout(() => {
        this.#changedTimer = undefined;
        inBackground(ctx.session, 'sessions view', this.#load(0, true));
      }, 250);
    });
  }

  show(): void {
    this.#visible = true;
    if (!this.#ctx.session.has('sessions.list')) {
      replaceChildren(this.el, unavailable('sessions.list'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    inBackground(this.#ctx.session, 'sessions view', Promise.all([this.#load(), this.#loadModels(), this.#subscribe()]));
  }

  hide(): void {
    this.#visible = false;
  }

  /** Subscriptions end with the connection, so each show (also after a reconnect) asks again. */
  async #subscribe(): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has('sessions.subscribe') || session.status.kind !== 'open') return;
    replaceChildren(this.#live);
    try {
      await session.client.call('sessions.subscribe', {});
    } catch (err) {
      replaceChildren(this.#live, reportedError(session, 'sessions.subscribe', err));
    }
  }

  /**
   * Loads the first page (offset 0) or appends the next one; `keepShown` reloads as many rows as
   * are on screen (a live change must not fold up pages the user opened).
   */
  async #load(offset = 0, keepShown = false): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    const generation = ++this.#generation;
    const search = this.#search.value.trim();
    try {
      const result = await session.client.call('sessions.list', {
        limit: keepShown ? Math.max(PAGE, this.#rows.length) : PAGE,
        ...(offset ? { offset } : {}),
        ...(search ? { search } : {}),
        includeGlobal: true,
        includeUnknown: true,
        includeDerivedTitles: true,
      });
      if (generation !== this.#generation) return;
      this.#rows = offset ? [...this.#rows, ...result.sessions] : result.sessions;
      const total = result.totalCount ?? this.#rows.length;
      this.#info.textContent = search ? `${total} session${total === 1 ? '' : 's'} match “${search}”.` : `${total} session${total === 1 ? '' : 's'}.`;
      this.#more.hidden = result.hasMore !== true;
      this.#render();
      const current = this.#rows.find((r) => r.key === this.#selected);
      if (current) this.#details.update(current);
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#info.textContent = '';
      replaceChildren(this.#list, reportedError(session, 'sessions.list', err));
    }
  }

  async #loadModels(): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has('models.list') || session.status.kind !== 'open') return;
    try {
      this.#models = (await session.client.call('models.list', {})).models;
      this.#details.setModels(this.#models);
    } catch (err) {
      this.#details.setModelsError(reportedError(session, 'models.list', err));
    }
  }

  #render(): void {
    if (this.#rows.length === 0) {
      replaceChildren(this.#list, h('p', { class: 'empty' }, this.#search.value.trim() ? 'No session matches.' : 'No sessions yet. Chat with an agent to start one.'));
      return;
    }
    const items = this.#rows.map((row) => {
      const selected = row.key === this.#selected;
      const open = h(
        'button',
        { type: 'button', class: 'session-open', 'aria-expanded': String(selected), 'aria-controls': 'session-details', 'data-key': row.key },
        h('span', { class: 'session-key mono' }, row.key),
        row.label ? h('span', { class: 'session-label' }, row.label) : null,
      );
      open.addEventListener('click', () => this.#select(selected ? undefined : row.key));
      return h(
        'li',
        { class: `session-item${selected ? ' selected' : ''}` },
        open,
        h(
          'div',
          { class: 'session-facts' },
          badge(row.kind, row.kind === 'direct' ? 'ok' : 'muted'),
          h('span', {}, `updated ${formatAgo(row.updatedAt)}`),
          h('span', {}, `${row.totalTokens.toLocaleString()} tokens${row.contextTokens ? ` of ${row.contextTokens.toLocaleString()}` : ''}`),
          row.model ? h('span', { class: 'mono' }, row.modelProvider ? `${row.modelProvider}/${row.model}` : row.model) : null,
          ...row.flags.map((f) => badge(f, 'muted')),
        ),
        row.derivedTitle ? h('p', { class: 'session-title muted' }, row.derivedTitle) : null,
      );
    });
    replaceChildren(this.#list, h('ul', { class: 'session-list', 'aria-label': 'Sessions' }, ...items));
  }

  #select(key: string | undefined): void {
    this.#selected = key;
    this.#render();
    const row = this.#rows.find((r) => r.key === key);
    if (row) {
      this.#details.open(row);
      this.#details.focus();
    } else {
      this.#details.close();
    }
  }
}
