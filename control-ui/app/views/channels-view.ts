import type { ChannelAccountSnapshot, ChannelsPairingListResult, ChannelsStatusResult } from '../../../lib/protocol/generated/types.js';
import { badge, errorMessage, formatAgo, formatDuration, formatTime, h, replaceChildren, table } from '../dom.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';
import { WhatsAppLoginPanel } from './whatsapp-login-panel.js';

/** No event carries the link state of an account, so a visible view re-reads it this often. */
const REFRESH_MS = 4_000;

/**
 * Messaging channels: every account's connection facts (`channels.status`), WhatsApp linking by
 * QR and logout, Telegram's bot and mode, and the DM pairing codes senders are waiting on
 * (`channels.pairing.*`) with approve and dismiss.
 */
export class ChannelsView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #status = statusLine();
  readonly #channels = h('div', { class: 'view-body' });
  readonly #pairing = h('div');
  readonly #panels = new Map<string, WhatsAppLoginPanel>();
  /** Each channel's section, kept across reloads: only its table is redrawn, so focus and a login in progress stay put. */
  readonly #sections = new Map<string, { el: HTMLElement; table: HTMLElement; panels: HTMLElement }>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.el = h(
      'div',
      { class: 'view-body' },
      this.#status,
      this.#channels,
      section('channel-pairing-title', 'DM pairing requests', h('p', { class: 'muted' }, 'Senders who wrote to a channel with dmPolicy "pairing" and got a code. Approve to let them talk to the agent.'), this.#pairing),
    );
  }

  show(): void {
    this.#reload();
    this.#timer ??= setInterval(() => this.#reload(), REFRESH_MS);
  }

  hide(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #reload(): void {
    inBackground(this.#ctx.session, 'channels view', this.#load());
  }

  async #load(): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    await Promise.all([this.#loadChannels(), this.#loadPairing()]);
  }

  async #loadChannels(): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has('channels.status')) return replaceChildren(this.#channels, unavailable('channels.status'));
    let status: ChannelsStatusResult;
    try {
      status = await session.client.call('channels.status', {});
    } catch (err) {
      return replaceChildren(this.#channels, this.#failure('channels.status', err));
    }
    const order = [...status.channelOrder];
    // A fresh gateway has no WhatsApp account until the first link creates it.
    if (!order.includes('whatsapp') && session.has('web.login.start')) order.unshift('whatsapp');
    if (order.length === 0) return replaceChildren(this.#channels, section('channels-none-title', 'Channels', h('p', { class: 'empty' }, 'No channel accounts are configured.')));
    const sections = order.map((id) => this.#channelSection(id, status));
    const current = Array.from(this.#channels.children);
    if (current.length !== sections.length || sections.some((el, i) => current[i] !== el)) replaceChildren(this.#channels, ...sections);
  }

  #channelSection(id: string, status: ChannelsStatusResult): HTMLElement {
    const label = status.channelLabels[id] ?? (id === 'whatsapp' ? 'WhatsApp' : id);
    const accounts = status.channelAccounts[id] ?? [];
    let parts = this.#sections.get(id);
    if (!parts) {
      const tableSlot = h('div');
      const panels = h('div', { class: 'wa-panels' });
      parts = { el: section(`channel-${id}-title`, label, tableSlot, panels), table: tableSlot, panels };
      this.#sections.set(id, parts);
    }
    const details = id === 'telegram' ? telegramDetails : id === 'whatsapp' ? whatsappDetails : () => '—';
    replaceChildren(
      parts.table,
      table(
        `${label} accounts`,
        ['Account', 'State', 'Details', 'Last inbound', 'Last outbound', 'Last ack', 'Connected for', 'Reconnects', 'Last error'],
        accounts.map((a) => [
          a.name ? `${a.name} (${a.accountId})` : a.accountId,
          stateBadges(a),
          details(a),
          formatAgo(a.lastInboundAt),
          formatAgo(a.lastOutboundAt),
          formatAgo(a.lastAckAt),
          a.connected && a.lastConnectedAt ? h('span', { title: formatTime(a.lastConnectedAt) }, formatDuration(Date.now() - a.lastConnectedAt)) : '—',
          String(a.reconnectAttempts ?? 0),
          a.lastError ? h('span', { class: 'bad-text' }, a.lastError) : '—',
        ]),
        id === 'whatsapp' ? 'No WhatsApp account is linked yet.' : `No ${label} accounts.`,
      ),
    );
    if (id === 'whatsapp' && this.#ctx.session.has('web.login.start')) {
      const ids = accounts.length ? accounts.map((a) => a.accountId) : [status.channelDefaultAccountId.whatsapp ?? 'default'];
      for (const accountId of ids) {
        const el = this.#panel(accountId, accounts.find((a) => a.accountId === accountId));
        if (el.parentElement !== parts.panels) parts.panels.append(el);
      }
    }
    return parts.el;
  }

  /** One panel per account for the view's life, so a login in progress survives the periodic reload. */
  #panel(accountId: string, account: ChannelAccountSnapshot | undefined): HTMLElement {
    let panel = this.#panels.get(accountId);
    if (!panel) {
      panel = new WhatsAppLoginPanel({ session: this.#ctx.session, accountId, onChange: () => this.#reload() });
      this.#panels.set(accountId, panel);
    }
    panel.update(account);
    return panel.el;
  }

  async #loadPairing(): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has('channels.pairing.list')) return replaceChildren(this.#pairing, unavailable('channels.pairing.list'));
    let list: ChannelsPairingListResult;
    try {
      list = await session.client.call('channels.pairing.list', {});
    } catch (err) {
      return replaceChildren(this.#pairing, this.#failure('channels.pairing.list', err));
    }
    const focused = document.activeElement instanceof HTMLElement && this.#pairing.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') : null;
    replaceChildren(
      this.#pairing,
      table(
        'DM pairing requests',
        // The decision comes early: on a phone the later columns are a sideways scroll away.
        ['Sender', 'Code', 'Decision', 'Channel', 'Account', 'Requested', 'Expires'],
        list.requests.map((r) => [
          r.senderLabel === r.senderId ? r.senderId : `${r.senderLabel} (${r.senderId})`,
          h('span', { class: 'mono' }, r.requestId),
          this.#pairingButtons(r.channel, r.accountId, r.requestId, r.senderLabel),
          r.channelLabel,
          r.accountLabel ?? r.accountId,
          formatAgo(Date.parse(r.createdAt)),
          formatTime(Date.parse(r.expiresAt)),
        ]),
        'No sender is waiting for a pairing approval.',
      ),
    );
    // The periodic reload must not steal the keyboard user's place.
    if (focused) (this.#pairing.querySelector(`[aria-label="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  #pairingButtons(channel: string, accountId: string, requestId: string, sender: string): HTMLElement {
    const decide = (decision: 'approve' | 'dismiss') => (event: Event) => {
      (event.currentTarget as HTMLElement).parentElement!.querySelectorAll('button').forEach((b) => (b.disabled = true));
      inBackground(this.#ctx.session, 'channels view', this.#decide(decision, { channel, accountId, requestId }, sender));
    };
    return h(
      'span',
      { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-label': `Approve ${sender} on ${channel}`, onclick: decide('approve') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Dismiss ${sender} on ${channel}`, onclick: decide('dismiss') }, 'Dismiss'),
    );
  }

  async #decide(decision: 'approve' | 'dismiss', params: { channel: string; accountId: string; requestId: string }, sender: string): Promise<void> {
    const { session } = this.#ctx;
    const method = decision === 'approve' ? 'channels.pairing.approve' : 'channels.pairing.dismiss';
    try {
      await session.client.call(method, params);
      this.#status.textContent = decision === 'approve' ? `Approved ${sender}: their messages now reach the agent.` : `Dismissed the code of ${sender}.`;
    } catch (err) {
      this.#status.textContent = '';
      replaceChildren(this.#pairing, this.#failure(method, err));
      return;
    }
    await this.#loadPairing();
  }

  #failure(method: string, err: unknown): HTMLElement {
    this.#ctx.session.reportError(method, err);
    return h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`);
  }
}

function stateBadges(a: ChannelAccountSnapshot): HTMLElement {
  const parts: HTMLElement[] = [];
  if (!a.enabled) parts.push(badge('disabled', 'muted'));
  else if (!a.configured) parts.push(badge(a.linked === false ? 'not linked' : 'not configured', a.linked === false ? 'bad' : 'muted'));
  else {
    if (a.linked !== undefined) parts.push(a.linked ? badge('linked', 'ok') : badge('not linked', 'bad'));
    parts.push(a.connected ? badge('connected', 'ok') : a.running ? badge(a.lastError ? 'error' : 'connecting', 'warn') : badge('stopped', 'muted'));
  }
  return h('span', { class: 'badges' }, ...parts.flatMap((p, i) => (i ? [' ', p] : [p])));
}

function telegramDetails(a: ChannelAccountSnapshot): string {
  const bot = typeof a.botUsername === 'string' ? `@${a.botUsername}` : 'bot not reached yet';
  return [bot, a.mode, a.dmPolicy ? `DMs: ${a.dmPolicy}` : undefined].filter(Boolean).join(' · ');
}

function whatsappDetails(a: ChannelAccountSnapshot): string {
  const self = (a.self as { e164?: string } | undefined)?.e164;
  return [self ?? 'no phone linked', a.dmPolicy ? `DMs: ${a.dmPolicy}` : undefined].filter(Boolean).join(' · ');
}
