import type { ChannelAccountSnapshot, WebLoginStartResult } from '../../../lib/protocol/generated/types.js';
import type { ControlSession } from '../control-session.js';
import { badge, errorMessage, h, replaceChildren } from '../dom.js';
import { inBackground } from './view.js';

/** How long one `web.login.wait` holds before the panel asks for the current QR again (WhatsApp rotates it). */
const WAIT_SLICE_MS = 3_000;

export interface WhatsAppLoginPanelOptions {
  session: ControlSession;
  accountId: string;
  /** The link state may have changed (linked, logged out): reload what the page shows. */
  onChange: () => void;
}

/**
 * Linking one WhatsApp account from the browser: `web.login.start` shows the QR the gateway's
 * Baileys socket produced, `web.login.wait` in short slices notices the scan, and between slices
 * the latest QR replaces the shown one. Also the account's logout (`channels.logout`).
 */
export class WhatsAppLoginPanel {
  readonly el: HTMLElement;
  readonly #options: WhatsAppLoginPanelOptions;
  readonly #state = h('p', { class: 'wa-state' });
  readonly #buttons = h('div', { class: 'actions' });
  readonly #qr = h('figure', { class: 'wa-qr', hidden: true });
  readonly #error = h('div');
  readonly #status = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
  #account: ChannelAccountSnapshot | undefined;
  /** A login this panel is following; cleared by Stop or when it ends. */
  #login: { qr?: string } | undefined;
  #confirmLogout = false;

  constructor(options: WhatsAppLoginPanelOptions) {
    this.#options = options;
    this.el = h('div', { class: 'wa-login', 'data-account': options.accountId }, this.#state, this.#buttons, this.#qr, this.#error, this.#status);
    this.#render();
  }

  /** The account as `channels.status` last described it (undefined: not created yet). */
  update(account: ChannelAccountSnapshot | undefined): void {
    this.#account = account;
    this.#render();
  }

  #render(): void {
    const a = this.#account;
    const self = (a?.self as { e164?: string } | undefined)?.e164;
    const name = `WhatsApp account ${this.#options.accountId}`;
    replaceChildren(
      this.#state,
      a?.linked ? badge('linked', 'ok') : badge('not linked', 'bad'),
      ' ',
      a?.linked ? (a.connected ? badge('connected', 'ok') : badge('not connected', 'warn')) : null,
      a?.linked && self ? ` as ${self}` : '',
      this.#login ? ' · waiting for the scan' : '',
    );
    const button = (label: string, aria: string, onclick: () => void, tone = '') =>
      h('button', { type: 'button', class: tone, 'aria-label': aria, onclick }, label);
    if (this.#login) {
      replaceChildren(this.#buttons, button('Stop waiting', `Stop waiting for the scan of ${name}`, () => this.#stop()));
    } else if (this.#confirmLogout) {
      replaceChildren(
        this.#buttons,
        button('Confirm log out', `Confirm log out of ${name}`, () => this.#run(this.#logout()), 'danger'),
        button('Cancel', `Cancel the log out of ${name}`, () => {
          this.#confirmLogout = false;
          this.#render();
        }),
      );
    } else if (a?.linked) {
      replaceChildren(
        this.#buttons,
        button('Link again', `Link again ${name} (a new QR code)`, () => this.#run(this.#link(true))),
        button('Log out', `Log out ${name}`, () => {
          this.#confirmLogout = true;
          this.#render();
          (this.#buttons.querySelector('button') as HTMLButtonElement | null)?.focus();
        }, 'danger'),
      );
    } else {
      replaceChildren(this.#buttons, button('Link WhatsApp', `Link ${name} with a QR code`, () => this.#run(this.#link(false)), 'primary'));
    }
  }

  #run(work: Promise<void>): void {
    inBackground(this.#options.session, 'whatsapp login', work);
  }

  #fail(method: string, err: unknown): void {
    this.#options.session.reportError(method, err);
    replaceChildren(this.#error, h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`));
  }

  async #link(force: boolean): Promise<void> {
    const { session, accountId } = this.#options;
    replaceChildren(this.#error);
    const login: { qr?: string } = {};
    this.#login = login;
    this.#status.textContent = 'Asking the gateway for a QR code…';
    this.#render();
    // The method each step calls, so a failure names the one that failed.
    let step = 'web.login.start';
    try {
      let start: WebLoginStartResult = await session.client.call('web.login.start', { accountId, ...(force ? { force: true } : {}) }, { timeoutMs: 45_000 });
      while (this.#login === login) {
        if (start.linked) return this.#finish(login, start.message);
        this.#showQr(login, start);
        step = 'web.login.wait';
        const wait = await session.client.call('web.login.wait', { accountId, timeoutMs: WAIT_SLICE_MS });
        if (this.#login !== login) return;
        if (wait.connected) return this.#finish(login, wait.message);
        step = 'channels.status';
        const status = await session.client.call('channels.status', {});
        const account = status.channelAccounts.whatsapp?.find((x) => x.accountId === accountId);
        if (!account?.loginInProgress) {
          // The login ended between the two calls: its outcome is what a wait answers now.
          step = 'web.login.wait';
          const last = await session.client.call('web.login.wait', { accountId, timeoutMs: 0 });
          if (last.connected) return this.#finish(login, last.message);
          throw new Error(last.message);
        }
        step = 'web.login.start';
        start = await session.client.call('web.login.start', { accountId });
      }
    } catch (err) {
      if (this.#login !== login) return;
      this.#endLogin(login);
      this.#status.textContent = '';
      this.#fail(step, err);
    }
  }

  #showQr(login: { qr?: string }, start: WebLoginStartResult): void {
    if (!start.qrDataUrl || start.qr === login.qr) return;
    login.qr = start.qr;
    this.#status.textContent = start.message;
    replaceChildren(
      this.#qr,
      h('img', { src: start.qrDataUrl, alt: `QR code to link WhatsApp account ${this.#options.accountId}`, width: 264, height: 264, 'data-testid': 'whatsapp-qr' }),
    );
    this.#qr.hidden = false;
  }

  #finish(login: { qr?: string }, message: string): void {
    this.#endLogin(login);
    this.#status.textContent = message;
    this.#options.onChange();
  }

  #endLogin(login: { qr?: string }): void {
    if (this.#login !== login) return;
    this.#login = undefined;
    this.#qr.hidden = true;
    replaceChildren(this.#qr);
    this.#render();
  }

  /** Stops following the login here; the gateway's login socket gives up when its QR expires. */
  #stop(): void {
    if (this.#login) this.#endLogin(this.#login);
    this.#status.textContent = 'Stopped waiting for the scan.';
  }

  async #logout(): Promise<void> {
    const { session, accountId } = this.#options;
    this.#confirmLogout = false;
    replaceChildren(this.#error);
    try {
      const result = await session.client.call('channels.logout', { channel: 'whatsapp', accountId });
      this.#status.textContent = result.loggedOut ? 'Logged out: the phone no longer lists this device.' : 'Credentials removed.';
    } catch (err) {
      this.#fail('channels.logout', err);
    }
    this.#render();
    this.#options.onChange();
  }
}
