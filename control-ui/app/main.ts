import { ControlSession, type ConnectionStatus } from './control-session.js';
import { h, replaceChildren } from './dom.js';
import { IdbStore } from './idb-store.js';
import { SessionToken } from './session-token.js';
import { ThemeSetting } from './theme.js';
import { VIEW_LOADERS } from './view-loaders.js';
import { CONTROL_UI_VIEWS, type ControlUiViewId } from './views.js';
import type { View, ViewContext } from './views/view.js';

/** The shell: header with the connection state, navigation, the current view or the sign-in form. */
class ControlUiApp {
  readonly #session: ControlSession;
  readonly #ctx: ViewContext;
  /** Views made so far; each is loaded on its first visit and kept (with its state) after. */
  readonly #views = new Map<ControlUiViewId, Promise<View>>();
  readonly #basePath = new URL(document.baseURI).pathname;
  readonly #statusPill = h('span', { class: 'pill', 'data-testid': 'connection' });
  readonly #banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', hidden: true });
  readonly #title = h('h1', { id: 'view-title', tabindex: -1 });
  readonly #outlet = h('div', { id: 'view' });
  readonly #nav = h('ul');
  readonly #signOut = h('button', { type: 'button', class: 'link-button' }, 'Change token');
  #current: ControlUiViewId = 'overview';
  #shown: View | undefined;
  #bannerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement, session: ControlSession, theme: ThemeSetting) {
    this.#session = session;
    this.#ctx = { session };
    for (const view of CONTROL_UI_VIEWS) {
      const link = h('a', { href: view.id, 'data-view': view.id }, view.title);
      link.addEventListener('click', (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        this.navigate(view.id, true);
      });
      this.#nav.append(h('li', {}, link));
    }
    this.#signOut.addEventListener('click', () => session.signOut());
    const main = h('main', { id: 'main', tabindex: -1 }, this.#banner, this.#title, this.#outlet);
    // `#main` resolves against <base href>, which would load the root page from any other view.
    const skip = h('a', { class: 'skip-link', href: '#main' }, 'Skip to content');
    skip.addEventListener('click', (event) => {
      event.preventDefault();
      main.focus();
    });
    replaceChildren(
      root,
      skip,
      h(
        'header',
        { class: 'topbar' },
        h('span', { class: 'brand' }, 'OpenClaw'),
        h('span', { class: 'brand-sub' }, 'Control'),
        this.#statusPill,
        theme.control(),
        this.#signOut,
      ),
      h('nav', { class: 'sidebar', 'aria-label': 'Views' }, this.#nav),
      main,
    );
    window.addEventListener('popstate', () => this.navigate(this.#viewFromPath(), false));
    session.on('status', (status) => this.#onStatus(status));
    // Missed events (a seq gap): whatever the current view shows may be stale.
    session.on('refresh', ({ reason }) => {
      if (reason !== 'gap' || session.status.kind !== 'open') return;
      this.#flash('Some live updates were missed; refreshed.');
      this.#shown?.show();
    });
    this.#current = this.#viewFromPath();
    this.#onStatus(session.status);
  }

  navigate(id: ControlUiViewId, push: boolean): void {
    if (push && id !== this.#current) history.pushState(null, '', `${this.#basePath}${id === 'overview' ? '' : id}`);
    this.#current = id;
    this.#render();
    if (push) this.#title.focus();
  }

  #viewFromPath(): ControlUiViewId {
    const rest = location.pathname.startsWith(this.#basePath) ? location.pathname.slice(this.#basePath.length) : '';
    return CONTROL_UI_VIEWS.find((v) => v.id === rest)?.id ?? 'overview';
  }

  #onStatus(status: ConnectionStatus): void {
    this.#renderPill(status);
    this.#renderBanner(status);
    this.#render();
  }

  #render(): void {
    const status = this.#session.status;
    for (const link of Array.from(this.#nav.querySelectorAll('a'))) {
      if (link.dataset.view === this.#current) {
        link.setAttribute('aria-current', 'page');
        // At phone width the views are one scrolling row: keep the current one in sight.
        keepInSight(this.#nav, link);
      } else link.removeAttribute('aria-current');
    }
    this.#signOut.hidden = status.kind === 'needs-token';
    if (!this.#signedIn()) {
      this.#shown?.hide();
      this.#shown = undefined;
      delete this.#outlet.dataset.view;
      this.#renderGate(status);
      return;
    }
    const id = this.#current;
    const title = CONTROL_UI_VIEWS.find((v) => v.id === id)!.title;
    this.#title.textContent = title;
    document.title = `${title} · OpenClaw Control`;
    this.#load(id).then(
      (view) => {
        // Another view may have been picked, or the connection dropped, while this one loaded.
        if (this.#current !== id || !this.#signedIn()) return;
        if (this.#shown !== view) {
          this.#shown?.hide();
          this.#shown = view;
          replaceChildren(this.#outlet, view.el);
        }
        // Tests (and styles) can tell which view the outlet holds, not just which title shows.
        this.#outlet.dataset.view = id;
        if (this.#session.status.kind === 'open') view.show();
      },
      (err: unknown) => {
        this.#views.delete(id);
        this.#session.reportError(`load view ${id}`, err);
        replaceChildren(this.#outlet, h('p', { class: 'error', role: 'alert' }, `Could not load the ${title} view: ${err instanceof Error ? err.message : String(err)}`));
      },
    );
  }

  #load(id: ControlUiViewId): Promise<View> {
    let view = this.#views.get(id);
    if (!view) {
      view = VIEW_LOADERS[id](this.#ctx);
      this.#views.set(id, view);
    }
    return view;
  }

  #signedIn(): boolean {
    const status = this.#session.status;
    return status.kind === 'open' || status.kind === 'reconnecting' || (status.kind === 'connecting' && this.#session.hello !== undefined);
  }

  /** Everything short of a working connection: the token form, pairing wait, refusals. */
  #renderGate(status: ConnectionStatus): void {
    this.#title.textContent = 'Connect to the gateway';
    document.title = 'OpenClaw Control';
    if (status.kind === 'needs-token') {
      replaceChildren(this.#outlet, this.#tokenForm(status.message));
      return;
    }
    const retry = h('button', { type: 'button', onclick: () => this.#session.connect() }, 'Retry now');
    const message =
      status.kind === 'pairing' || status.kind === 'unreachable' || status.kind === 'refused'
        ? h('p', { class: status.kind === 'refused' ? 'error' : 'notice', role: 'alert' }, status.message)
        : h('p', {}, 'Connecting…');
    replaceChildren(this.#outlet, h('div', { class: 'card gate' }, message, status.kind === 'connecting' ? null : retry, status.kind === 'refused' ? this.#tokenForm() : null));
  }

  #tokenForm(error?: string): HTMLElement {
    const input = h('input', { id: 'token-input', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: false });
    const form = h(
      'form',
      { class: 'card gate', 'aria-labelledby': 'view-title' },
      error ? h('p', { class: 'error', role: 'alert', 'data-testid': 'auth-error' }, `Sign-in failed: ${error}`) : null,
      h(
        'p',
        {},
        'Open the dashboard link the gateway printed at start (it carries the token), or paste the gateway token (gateway.auth.token in the config file).',
      ),
      h('label', { for: 'token-input' }, 'Gateway token'),
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Connect'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      new SessionToken().set(token);
      this.#session.connect();
    });
    queueMicrotask(() => input.focus());
    return form;
  }

  #renderPill(status: ConnectionStatus): void {
    const hello = this.#session.hello;
    const [text, tone] =
      status.kind === 'open'
        ? [`Connected · ${hello?.server.host ?? 'gateway'} · v${hello?.server.version ?? '?'}`, 'ok']
        : status.kind === 'reconnecting'
          ? ['Reconnecting…', 'warn']
          : status.kind === 'connecting'
            ? ['Connecting…', 'warn']
            : status.kind === 'needs-token'
              ? ['Not signed in', 'bad']
              : status.kind === 'pairing'
                ? ['Waiting for approval', 'warn']
                : ['Disconnected', 'bad'];
    this.#statusPill.textContent = text;
    this.#statusPill.className = `pill pill-${tone}`;
  }

  #renderBanner(status: ConnectionStatus): void {
    if (this.#bannerTimer !== undefined) clearTimeout(this.#bannerTimer);
    this.#bannerTimer = undefined;
    if (status.kind === 'reconnecting') {
      this.#showBanner(`Lost the gateway: ${status.why}. Reconnecting${status.attempt > 0 ? ` (attempt ${status.attempt})` : ''}…`, 'warn');
    } else if (status.kind === 'open' && status.reconnected) {
      this.#flash(status.restarted ? 'The gateway restarted; reconnected and refreshed.' : 'Reconnected to the gateway; refreshed.');
    } else {
      this.#banner.hidden = true;
    }
  }

  /** A notice that stays long enough to read, then gets out of the way. */
  #flash(text: string): void {
    if (this.#bannerTimer !== undefined) clearTimeout(this.#bannerTimer);
    this.#showBanner(text, 'ok');
    this.#bannerTimer = setTimeout(() => (this.#banner.hidden = true), 8_000);
  }

  #showBanner(text: string, tone: 'ok' | 'warn'): void {
    this.#banner.textContent = text;
    this.#banner.className = `banner banner-${tone}`;
    this.#banner.hidden = false;
  }
}

/**
 * Scrolls a horizontally scrolling list so `item` shows. Not scrollIntoView: in Chromium that also
 * moves where the next Tab starts from, which would skip the skip link and the header.
 */
function keepInSight(list: HTMLElement, item: HTMLElement): void {
  if (list.scrollWidth <= list.clientWidth) return;
  const [outer, inner] = [list.getBoundingClientRect(), item.getBoundingClientRect()];
  if (inner.left < outer.left) list.scrollLeft -= outer.left - inner.left + 8;
  else if (inner.right > outer.right) list.scrollLeft += inner.right - outer.right + 8;
}

const theme = new ThemeSetting();
theme.apply();
const token = new SessionToken();
token.adoptFromUrl();
const session = new ControlSession({ token, store: new IdbStore() });
new ControlUiApp(document.getElementById('app')!, session, theme);
session.start().catch((err: unknown) => session.reportError('start', err));
