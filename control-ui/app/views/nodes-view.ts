import type {
  DevicePairListResult,
  DevicePairingRequest,
  NodeListResult,
  NodePairListResult,
  NodePairingRequest,
} from '../../../lib/protocol/generated/types.js';
import { badge, errorMessage, formatAgo, formatTime, h, replaceChildren, shortId, table } from '../dom.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';

const PAIRING_EVENTS = new Set(['device.pair.requested', 'device.pair.resolved', 'node.pair.requested', 'node.pair.resolved']);

/**
 * Nodes and devices: pending pairing requests with approve/reject, paired devices, and nodes.
 * Pairing events and presence changes (nodes come and go) reload the lists while visible.
 */
export class NodesView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #status = statusLine();
  readonly #devicePending = h('div');
  readonly #devicePaired = h('div');
  readonly #nodes = h('div');
  readonly #nodePending = h('div');
  #visible = false;
  #reload: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.el = h(
      'div',
      { class: 'view-body' },
      this.#status,
      section('device-pending-title', 'Pending device pairing requests', this.#devicePending),
      section('node-pending-title', 'Pending node pairing requests', this.#nodePending),
      section('nodes-title', 'Nodes', this.#nodes),
      section('device-paired-title', 'Paired devices', this.#devicePaired),
    );
    ctx.session.on('event', ({ event }) => {
      if (PAIRING_EVENTS.has(event)) this.#scheduleLoad();
    });
    ctx.session.on('presence', () => this.#scheduleLoad());
  }

  show(): void {
    this.#visible = true;
    inBackground(this.#ctx.session, 'nodes view', this.#load());
  }

  hide(): void {
    this.#visible = false;
  }

  #scheduleLoad(): void {
    if (!this.#visible || this.#reload !== undefined) return;
    // Pairing and presence events arrive in bursts (request + presence + resolved); one reload covers them.
    this.#reload = setTimeout(() => {
      this.#reload = undefined;
      inBackground(this.#ctx.session, 'nodes view', this.#load());
    }, 100);
  }

  async #load(): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    const [devices, nodePairs, nodes] = await Promise.all([
      this.#fetch('device.pair.list', () => session.client.call('device.pair.list')),
      this.#fetch('node.pair.list', () => session.client.call('node.pair.list')),
      this.#fetch('node.list', () => session.client.call('node.list')),
    ]);
    this.#renderDevices(devices);
    this.#renderNodePairs(nodePairs);
    this.#renderNodes(nodes);
  }

  async #fetch<T>(method: string, call: () => Promise<T>): Promise<T | 'unavailable' | undefined> {
    if (!this.#ctx.session.has(method)) return 'unavailable';
    try {
      return await call();
    } catch (err) {
      this.#ctx.session.reportError(method, err);
      return undefined;
    }
  }

  #renderDevices(result: DevicePairListResult | 'unavailable' | undefined): void {
    if (result === 'unavailable') {
      replaceChildren(this.#devicePending, unavailable('device.pair.list'));
      replaceChildren(this.#devicePaired, unavailable('device.pair.list'));
      return;
    }
    if (!result) return;
    const self = this.#ctx.session.deviceId;
    replaceChildren(
      this.#devicePending,
      table(
        'Pending device pairing requests',
        ['Device', 'Client', 'Role', 'Address', 'Requested', 'Decision'],
        result.pending.map((r) => [
          deviceName(r),
          [r.clientId, r.clientMode, r.platform].filter(Boolean).join(' · ') || '—',
          [r.role, ...(r.scopes ?? [])].filter(Boolean).join(' ') || '—',
          r.remoteIp ?? '—',
          formatAgo(r.ts),
          this.#decisionButtons(deviceName(r), r.requestId, 'device'),
        ]),
        'No device is waiting for approval.',
      ),
    );
    replaceChildren(
      this.#devicePaired,
      table(
        'Paired devices',
        ['Device', 'Client', 'Roles', 'Scopes', 'Approved'],
        result.paired.map((d) => [
          h('span', {}, d.displayName ?? shortId(d.deviceId), d.deviceId === self ? badge('this browser', 'ok') : null),
          [d.clientId, d.platform].filter(Boolean).join(' · ') || '—',
          d.roles.join(', '),
          d.scopes.join(', ') || '—',
          formatTime(d.approvedAtMs),
        ]),
        'No paired devices.',
      ),
    );
  }

  #renderNodePairs(result: NodePairListResult | 'unavailable' | undefined): void {
    if (result === 'unavailable') return replaceChildren(this.#nodePending, unavailable('node.pair.list'));
    if (!result) return;
    replaceChildren(
      this.#nodePending,
      table(
        'Pending node pairing requests',
        ['Node', 'Platform', 'Capabilities', 'Address', 'Requested', 'Decision'],
        result.pending.map((r) => [
          nodeName(r),
          r.platform ?? '—',
          (r.caps ?? []).join(', ') || '—',
          r.remoteIp ?? '—',
          formatAgo(r.ts),
          this.#decisionButtons(nodeName(r), r.requestId, 'node'),
        ]),
        'No node is waiting for approval.',
      ),
    );
  }

  #renderNodes(result: NodeListResult | 'unavailable' | undefined): void {
    if (result === 'unavailable') return replaceChildren(this.#nodes, unavailable('node.list'));
    if (!result) return;
    replaceChildren(
      this.#nodes,
      table(
        'Nodes',
        ['Node', 'Platform', 'State', 'Capabilities', 'Commands', 'Address'],
        result.nodes.map((n) => [
          n.displayName ?? shortId(n.nodeId),
          [n.platform, n.version].filter(Boolean).join(' ') || '—',
          h(
            'span',
            {},
            n.connected ? badge('connected', 'ok') : badge('offline', 'muted'),
            ' ',
            n.paired ? badge('paired', 'ok') : badge('not paired', 'warn'),
          ),
          n.caps.join(', ') || '—',
          n.commands.join(', ') || '—',
          n.remoteIp ?? '—',
        ]),
        'No nodes are paired or connected.',
      ),
    );
  }

  #decisionButtons(name: string, requestId: string, kind: 'device' | 'node'): HTMLElement {
    const decide = (decision: 'approve' | 'reject') => (event: Event) => {
      const group = (event.currentTarget as HTMLElement).parentElement!;
      group.querySelectorAll('button').forEach((b) => (b.disabled = true));
      inBackground(this.#ctx.session, 'nodes view', this.#decide(name, requestId, kind, decision));
    };
    return h(
      'span',
      { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-label': `Approve ${name}`, onclick: decide('approve') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Reject ${name}`, onclick: decide('reject') }, 'Reject'),
    );
  }

  async #decide(name: string, requestId: string, kind: 'device' | 'node', decision: 'approve' | 'reject'): Promise<void> {
    const { session } = this.#ctx;
    try {
      if (kind === 'device') {
        await session.client.call(decision === 'approve' ? 'device.pair.approve' : 'device.pair.reject', { requestId });
      } else {
        await session.client.call(decision === 'approve' ? 'node.pair.approve' : 'node.pair.reject', { requestId });
      }
      this.#status.textContent = `${decision === 'approve' ? 'Approved' : 'Rejected'} ${name}.`;
    } catch (err) {
      this.#status.textContent = `Could not ${decision} ${name}: ${errorMessage(err)}`;
      session.reportError(`${kind}.pair.${decision}`, err);
    }
    await this.#load();
  }
}

function deviceName(r: DevicePairingRequest): string {
  return r.displayName ?? shortId(r.deviceId);
}

function nodeName(r: NodePairingRequest): string {
  return r.displayName ?? r.nodeId;
}
