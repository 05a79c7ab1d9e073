import type {
  DevicePairListResult,
  DevicePairingRequest,
  NodeListResult,
  NodePairListResult,
  NodePairingRequest,
} from '../../../lib/protocol/generated/types.js';
import { badge, errorMessage, formatAgo, formatTime, h, replaceChildren, shortId, table } from '../dom.js';
import { deviceTokenActions } from './device-tokens.js';
import { ExecApprovalPrompts } from './exec-approval-prompts.js';
import { ExecApprovalsEditor } from './exec-approvals-editor.js';
import { inBackground, section, statusLine, unavailable, type View, type ViewContext } from './view.js';

const PAIRING_EVENTS = new Set(['device.pair.requested', 'device.pair.resolved', 'node.pair.requested', 'node.pair.resolved']);

/**
 * Nodes and devices: commands waiting for exec approval, pending pairing requests with
 * approve/reject, nodes, paired devices with their tokens, and the exec approvals files.
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
  readonly #tokenOutput = h('div');
  readonly #armedRevokes = new Set<string>();
  readonly #prompts: ExecApprovalPrompts;
  readonly #approvals: ExecApprovalsEditor;
  #visible = false;
  #reload: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    this.#prompts = new ExecApprovalPrompts(ctx.session);
    this.#approvals = new ExecApprovalsEditor(ctx.session);
    this.el = h(
      'div',
      { class: 'view-body' },
      this.#status,
      section('exec-prompts-title', 'Commands waiting for approval', this.#prompts.el),
      section('device-pending-title', 'Pending device pairing requests', this.#devicePending),
      section('node-pending-title', 'Pending node pairing requests', this.#nodePending),
      section('nodes-title', 'Nodes', this.#nodes),
      section('device-paired-title', 'Paired devices', this.#tokenOutput, this.#devicePaired),
      section('exec-approvals-title', 'Exec approvals', this.#approvals.el),
    );
    ctx.session.on('event', ({ event }) => {
      if (PAIRING_EVENTS.has(event)) this.#scheduleLoad();
    });
    ctx.session.on('presence', () => this.#scheduleLoad());
  }

  show(): void {
    this.#visible = true;
    this.#prompts.show();
    inBackground(this.#ctx.session, 'nodes view', this.#loadAll());
  }

  hide(): void {
    this.#visible = false;
    this.#prompts.hide();
  }

  /** The lists, then the approvals file of the target picked (nodes first, so node targets exist). */
  async #loadAll(): Promise<void> {
    await this.#load();
    await this.#approvals.load();
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

  /** The result, 'unavailable', or the failure as an alert naming the method, for the section that asked. */
  async #fetch<T>(method: string, call: () => Promise<T>): Promise<T | 'unavailable' | HTMLElement> {
    if (!this.#ctx.session.has(method)) return 'unavailable';
    try {
      return await call();
    } catch (err) {
      this.#ctx.session.reportError(method, err);
      return h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`);
    }
  }

  #renderDevices(result: DevicePairListResult | 'unavailable' | HTMLElement): void {
    if (result === 'unavailable' || result instanceof HTMLElement) {
      const notice = () => (result === 'unavailable' ? unavailable('device.pair.list') : result.cloneNode(true));
      replaceChildren(this.#devicePending, notice());
      replaceChildren(this.#devicePaired, notice());
      return;
    }
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
        ['Device', 'Client', 'Roles', 'Scopes', 'Approved', 'Tokens'],
        result.paired.map((d) => [
          h('span', {}, d.displayName ?? shortId(d.deviceId), d.deviceId === self ? badge('this browser', 'ok') : null),
          [d.clientId, d.platform].filter(Boolean).join(' · ') || '—',
          d.roles.join(', '),
          d.scopes.join(', ') || '—',
          formatTime(d.approvedAtMs),
          deviceTokenActions(d, d.displayName ?? shortId(d.deviceId), { session: this.#ctx.session, output: this.#tokenOutput, onChange: () => this.#scheduleLoad(), armed: this.#armedRevokes }),
        ]),
        'No paired devices.',
      ),
    );
  }

  #renderNodePairs(result: NodePairListResult | 'unavailable' | HTMLElement): void {
    if (result === 'unavailable') return replaceChildren(this.#nodePending, unavailable('node.pair.list'));
    if (result instanceof HTMLElement) return replaceChildren(this.#nodePending, result);
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

  #renderNodes(result: NodeListResult | 'unavailable' | HTMLElement): void {
    if (result === 'unavailable') return replaceChildren(this.#nodes, unavailable('node.list'));
    if (result instanceof HTMLElement) return replaceChildren(this.#nodes, result);
    this.#approvals.setNodes(result.nodes);
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
