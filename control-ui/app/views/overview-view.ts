import type { ChannelsStatusResult, HealthSummary } from '../../../lib/protocol/generated/types.js';
import { badge, formatAgo, formatDuration, formatTime, h, replaceChildren, table } from '../dom.js';
import { AttentionList } from './attention-list.js';
import { inBackground, section, type View, type ViewContext } from './view.js';

const CHANNEL_REFRESH_TICKS = 5;

interface ChannelRow {
  id: string;
  label: string;
  configured: boolean;
  enabled?: boolean;
  linked?: boolean;
  connected?: boolean;
  lastError?: string | null;
  lastMessageAt?: number | null;
}

/** What needs attention first, then health, uptime, version, channels with their link state, and the last errors. */
export class OverviewView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #gateway = h('dl', { class: 'facts' });
  readonly #channels = h('div');
  readonly #errors = h('div');
  readonly #uptime = h('dd', { 'data-testid': 'uptime' });
  readonly #attention: AttentionList;
  #channelStatus: ChannelsStatusResult | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#attention = new AttentionList(ctx.session);
    const refresh = h('button', { type: 'button', onclick: () => inBackground(ctx.session, 'overview', this.#probe()) }, 'Probe now');
    this.el = h(
      'div',
      { class: 'view-body' },
      section('overview-attention', 'Needs attention', this.#attention.el),
      section('overview-gateway', 'Gateway', this.#gateway, refresh),
      section('overview-channels', 'Channels', this.#channels),
      section('overview-errors', 'Last errors', this.#errors),
    );
    ctx.session.on('health', () => this.#render());
    ctx.session.on('hello', () => this.#render());
    ctx.session.on('errors', () => this.#render());
  }

  show(): void {
    this.#attention.setVisible(true);
    this.#render();
    inBackground(this.#ctx.session, 'overview', this.#loadChannels(false));
    let ticks = 0;
    // Uptime ticks every second; channel link state is re-read every few seconds (no event carries it).
    this.#ticker ??= setInterval(() => {
      this.#renderUptime();
      if (++ticks % CHANNEL_REFRESH_TICKS === 0) inBackground(this.#ctx.session, 'overview', this.#loadChannels(false));
    }, 1000);
  }

  hide(): void {
    this.#attention.setVisible(false);
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  async #probe(): Promise<void> {
    const { session } = this.#ctx;
    try {
      await session.client.call('health', { probe: true });
    } catch (err) {
      session.reportError('health', err);
    }
    await this.#loadChannels(true);
  }

  async #loadChannels(probe: boolean): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    if (session.has('channels.status')) {
      try {
        this.#channelStatus = await session.client.call('channels.status', { probe });
      } catch (err) {
        session.reportError('channels.status', err);
      }
      this.#render();
    }
    await this.#attention.refresh(this.#channelStatus);
  }

  #render(): void {
    const { session } = this.#ctx;
    const hello = session.hello;
    const health = session.health;
    if (!hello) {
      replaceChildren(this.#gateway, h('dt', {}, 'Status'), h('dd', {}, 'Not connected'));
      return;
    }
    const auth = hello.auth;
    replaceChildren(
      this.#gateway,
      h('dt', {}, 'Health'),
      h('dd', { 'data-testid': 'health' }, health ? badge(health.ok ? 'OK' : 'Degraded', health.ok ? 'ok' : 'bad') : '—', health ? ` checked ${formatAgo(health.ts)}` : ''),
      h('dt', {}, 'Uptime'),
      this.#uptime,
      h('dt', {}, 'Version'),
      h('dd', { 'data-testid': 'version' }, hello.server.version, hello.server.commit ? ` (${hello.server.commit})` : ''),
      h('dt', {}, 'Host'),
      h('dd', {}, hello.server.host ?? '—'),
      h('dt', {}, 'Protocol'),
      h('dd', {}, String(hello.protocol)),
      h('dt', {}, 'Signed in as'),
      h('dd', {}, auth ? `${auth.role} (${auth.scopes.join(', ') || 'no scopes'})` : 'operator (shared token)'),
      h('dt', {}, 'Sessions'),
      h('dd', {}, String(health?.sessions.count ?? 0)),
      hello.snapshot.configPath ? h('dt', {}, 'Config') : null,
      hello.snapshot.configPath ? h('dd', { class: 'mono' }, hello.snapshot.configPath) : null,
    );
    this.#renderUptime();
    const rows = channelRows(health, this.#channelStatus);
    replaceChildren(
      this.#channels,
      table(
        'Channels',
        ['Channel', 'State', 'Last message', 'Last error'],
        rows.map((c) => [c.label, channelBadge(c), formatAgo(c.lastMessageAt), c.lastError ?? '—']),
        'No channels are configured.',
      ),
    );
    const errors = [
      ...rows.filter((c) => c.lastError).map((c) => ({ ts: c.lastMessageAt ?? undefined, where: c.label, message: c.lastError! })),
      ...session.errors,
    ];
    replaceChildren(
      this.#errors,
      errors.length === 0
        ? h('p', { class: 'empty' }, 'No errors seen.')
        : h('ul', { class: 'error-list' }, ...errors.map((e) => h('li', {}, h('strong', {}, e.where), `: ${e.message}`, e.ts ? h('small', {}, ` ${formatTime(e.ts)}`) : null))),
    );
  }

  #renderUptime(): void {
    const uptime = this.#ctx.session.uptimeMs;
    this.#uptime.textContent = uptime === undefined ? '—' : formatDuration(uptime);
  }
}

function channelRows(health: HealthSummary | undefined, status: ChannelsStatusResult | undefined): ChannelRow[] {
  if (status) {
    // One row per account when a channel has several, so a broken account is not hidden by a healthy one.
    return status.channelOrder.flatMap((id) => {
      const label = status.channelLabels[id] ?? id;
      const accounts = status.channelAccounts[id] ?? [];
      if (accounts.length > 1) return accounts.map((a) => ({ ...a, id, label: `${label} (${a.accountId})` }));
      return [{ id, label, ...status.channels[id]! }];
    });
  }
  if (!health) return [];
  return health.channelOrder.map((id) => {
    const ch = health.channels[id];
    return {
      id,
      label: health.channelLabels[id] ?? id,
      configured: ch?.configured ?? false,
      enabled: ch?.enabled,
      linked: ch?.linked,
      connected: ch?.connected,
      lastError: ch?.lastError,
      lastMessageAt: ch?.lastMessageAt,
    };
  });
}

function channelBadge(c: ChannelRow): HTMLElement {
  if (c.enabled === false) return badge('disabled', 'muted');
  // A device-linked channel (WhatsApp) counts as configured only once linked: say what to do.
  if (c.linked === false) return badge('not linked', 'bad');
  if (!c.configured) return badge('not configured', 'muted');
  if (c.connected) return badge(c.linked ? 'linked, connected' : 'connected', 'ok');
  return badge(c.lastError ? 'error' : 'not connected', 'warn');
}
