import type { ChannelsStatusResult } from '../../../lib/protocol/generated/types.js';
import type { ControlSession } from '../control-session.js';
import { badge, errorMessage, h, replaceChildren } from '../dom.js';
import type { ControlUiViewId } from '../views.js';

interface Item {
  tone: 'bad' | 'warn';
  text: string;
  view: ControlUiViewId;
  action: string;
}

/** Events after which something may need (or no longer need) an operator. */
const EVENTS = new Set(['exec.approval.requested', 'exec.approval.resolved', 'device.pair.requested', 'device.pair.resolved', 'node.pair.requested', 'node.pair.resolved', 'cron']);

/**
 * What needs an operator, most urgent first: commands waiting for approval (they time out),
 * channel accounts that are unlinked or failing, cron jobs whose last run failed, and pairing
 * requests (devices, nodes, DM senders). Each item links to the view where it is handled.
 */
export class AttentionList {
  readonly el = h('div', { 'data-testid': 'attention' });
  readonly #session: ControlSession;
  #channels: ChannelsStatusResult | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #visible = false;

  constructor(session: ControlSession) {
    this.#session = session;
    session.on('event', ({ event }) => {
      if (!EVENTS.has(event) || !this.#visible || this.#timer !== undefined) return;
      // Requests and their resolutions come in bursts; one reload covers a burst.
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.refresh(this.#channels).catch((err: unknown) => session.reportError('overview attention', err));
      }, 100);
    });
  }

  setVisible(visible: boolean): void {
    this.#visible = visible;
  }

  /** Re-reads everything but the channel status, which the overview already has. */
  async refresh(channels: ChannelsStatusResult | undefined): Promise<void> {
    const session = this.#session;
    if (session.status.kind !== 'open') return;
    this.#channels = channels;
    const failures: HTMLElement[] = [];
    const ask = async <T>(method: string, call: () => Promise<T>): Promise<T | undefined> => {
      if (!session.has(method)) return undefined;
      try {
        return await call();
      } catch (err) {
        session.reportError(method, err);
        failures.push(h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`));
        return undefined;
      }
    };
    const [approvals, devices, nodes, dms, cron] = await Promise.all([
      ask('exec.approval.list', () => session.client.call('exec.approval.list', {})),
      ask('device.pair.list', () => session.client.call('device.pair.list', {})),
      ask('node.pair.list', () => session.client.call('node.pair.list', {})),
      ask('channels.pairing.list', () => session.client.call('channels.pairing.list', {})),
      ask('cron.list', () => session.client.call('cron.list', { includeDisabled: false })),
    ]);
    const items: Item[] = [];
    const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    if (approvals?.length) {
      items.push({ tone: 'warn', text: `${count(approvals.length, 'command is', 'commands are')} waiting for exec approval`, view: 'nodes', action: 'Answer on Nodes & devices' });
    }
    for (const id of channels?.channelOrder ?? []) {
      const label = channels!.channelLabels[id] ?? id;
      for (const a of channels!.channelAccounts[id] ?? []) {
        if (!a.enabled) continue;
        const name = `${label} ${a.accountId}`;
        if (a.linked === false) items.push({ tone: 'bad', text: `${name} is not linked`, view: 'channels', action: 'Link on Channels' });
        else if (a.lastError) items.push({ tone: 'bad', text: `${name}: ${a.lastError}`, view: 'channels', action: 'Open Channels' });
      }
    }
    for (const job of cron?.jobs ?? []) {
      const status = job.state.lastRunStatus ?? job.state.lastStatus;
      if (job.enabled && status === 'error') {
        items.push({ tone: 'bad', text: `Cron job ${job.name} failed its last run${job.state.lastError ? `: ${job.state.lastError}` : ''}`, view: 'cron', action: 'Open Cron jobs' });
      }
    }
    if (devices?.pending.length) items.push({ tone: 'warn', text: `${count(devices.pending.length, 'device waits', 'devices wait')} for pairing approval`, view: 'nodes', action: 'Review on Nodes & devices' });
    if (nodes?.pending.length) items.push({ tone: 'warn', text: `${count(nodes.pending.length, 'node waits', 'nodes wait')} for pairing approval`, view: 'nodes', action: 'Review on Nodes & devices' });
    if (dms?.requests.length) items.push({ tone: 'warn', text: `${count(dms.requests.length, 'sender waits', 'senders wait')} for DM pairing approval`, view: 'channels', action: 'Review on Channels' });
    replaceChildren(
      this.el,
      ...failures,
      items.length === 0
        ? h('p', { class: 'empty' }, failures.length ? 'Nothing else needs attention.' : 'Nothing needs attention.')
        : h('ul', { class: 'attention-list' }, ...items.map((item) => h('li', {}, badge(item.tone === 'bad' ? 'problem' : 'waiting', item.tone), ' ', item.text, ' ', viewLink(item.view, item.action)))),
    );
  }
}

/** A link to another view; the shell follows history changes (popstate), so no page load happens. */
function viewLink(view: ControlUiViewId, text: string): HTMLElement {
  const link = h('a', { href: view }, text);
  link.addEventListener('click', (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    history.pushState(null, '', link.href);
    dispatchEvent(new PopStateEvent('popstate'));
  });
  return link;
}
