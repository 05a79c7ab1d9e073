import type { ExecApprovalsAgent, ExecApprovalsFile, ExecApprovalsSnapshot, NodeInfo } from '../../../lib/protocol/generated/types.js';
import type { ControlSession } from '../control-session.js';
import { errorMessage, h, replaceChildren } from '../dom.js';
import { inBackground, unavailable } from './view.js';

const GATEWAY = '';
const SECURITY = ['deny', 'allowlist', 'full'];
const ASK = ['off', 'on-miss', 'always'];
type PolicyKey = 'security' | 'ask' | 'askFallback';

/**
 * The exec approvals file of the gateway (`exec.approvals.get|set`) or of one node
 * (`exec.approvals.node.get|set`): default policy, per-agent policy and allowlist patterns. Saves
 * carry the hash the file was loaded with, so a change made meanwhile (a node host, an
 * allow-always answer, another operator) is refused instead of overwritten.
 */
export class ExecApprovalsEditor {
  readonly el: HTMLElement;
  readonly #session: ControlSession;
  readonly #target = h('select', { id: 'approvals-target' });
  readonly #meta = h('p', { class: 'muted' });
  readonly #form = h('div', { class: 'approvals-form' });
  readonly #error = h('div');
  readonly #status = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
  readonly #save = h('button', { type: 'button', class: 'primary', disabled: true }, 'Save approvals');
  #snapshot: { hash: string; file: ExecApprovalsFile } | undefined;
  #draft: ExecApprovalsFile | undefined;
  #nodes: NodeInfo[] = [];

  constructor(session: ControlSession) {
    this.#session = session;
    this.#target.addEventListener('change', () => inBackground(session, 'exec approvals', this.load()));
    this.#save.addEventListener('click', () => inBackground(session, 'exec approvals', this.#store()));
    const reload = h('button', { type: 'button', onclick: () => inBackground(session, 'exec approvals', this.load()) }, 'Reload');
    this.el = h(
      'div',
      { class: 'approvals-editor' },
      h('div', { class: 'toolbar' }, h('label', { for: 'approvals-target' }, 'Approvals file of'), this.#target, reload),
      this.#meta,
      this.#error,
      this.#form,
      h('div', { class: 'actions' }, this.#save),
      this.#status,
    );
  }

  /** Nodes that serve their own approvals file become targets. */
  setNodes(nodes: NodeInfo[]): void {
    const targets = nodes.filter((n) => n.connected && n.commands.includes('system.execApprovals.get'));
    const key = (list: NodeInfo[]) => list.map((n) => `${n.nodeId}:${n.displayName ?? ''}`).join('|');
    if (key(targets) === key(this.#nodes) && this.#target.options.length > 0) return;
    this.#nodes = targets;
    const current = this.#target.value;
    replaceChildren(
      this.#target,
      h('option', { value: GATEWAY }, 'Gateway'),
      ...targets.map((n) => h('option', { value: n.nodeId }, `Node ${n.displayName ?? n.nodeId}`)),
    );
    this.#target.value = targets.some((n) => n.nodeId === current) ? current : GATEWAY;
  }

  async load(): Promise<void> {
    const session = this.#session;
    if (session.status.kind !== 'open') return;
    if (this.#target.options.length === 0) this.setNodes([]);
    const nodeId = this.#target.value;
    const method = nodeId ? 'exec.approvals.node.get' : 'exec.approvals.get';
    if (!session.has(method)) return this.#unavailable(method);
    replaceChildren(this.#error);
    try {
      const snapshot = nodeId ? asSnapshot(await session.client.call('exec.approvals.node.get', { nodeId })) : await session.client.call('exec.approvals.get', {});
      if (this.#target.value !== nodeId) return;
      this.#adopt(snapshot);
      this.#save.disabled = false;
    } catch (err) {
      this.#fail(method, err);
    }
  }

  /** The file as the gateway (or node) has it now: the base of the next save. */
  #adopt(snapshot: ExecApprovalsSnapshot): void {
    this.#snapshot = snapshot;
    this.#draft = structuredClone(snapshot.file);
    this.#meta.textContent = `${snapshot.path}${snapshot.exists ? '' : ' (not created yet; saving creates it)'}`;
    this.#renderForm();
  }

  #unavailable(method: string): void {
    this.#snapshot = this.#draft = undefined;
    this.#save.disabled = true;
    replaceChildren(this.#form, unavailable(method));
  }

  #fail(method: string, err: unknown): void {
    this.#session.reportError(method, err);
    replaceChildren(this.#error, h('p', { class: 'error', role: 'alert', 'data-method': method }, `${method} failed: ${errorMessage(err)}`));
  }

  async #store(): Promise<void> {
    const session = this.#session;
    const draft = this.#draft;
    const snapshot = this.#snapshot;
    if (!draft || !snapshot) return;
    const nodeId = this.#target.value;
    const method = nodeId ? 'exec.approvals.node.set' : 'exec.approvals.set';
    replaceChildren(this.#error);
    this.#save.disabled = true;
    try {
      const params = { file: draft, baseHash: snapshot.hash };
      const saved = nodeId ? asSnapshot(await session.client.call('exec.approvals.node.set', { nodeId, ...params })) : await session.client.call('exec.approvals.set', params);
      this.#adopt(saved);
      this.#status.textContent = `Saved ${saved.path}.`;
    } catch (err) {
      this.#status.textContent = '';
      this.#fail(method, err);
    } finally {
      this.#save.disabled = false;
    }
  }

  #renderForm(): void {
    const draft = this.#draft!;
    const agents = Object.entries(draft.agents ?? {});
    const newAgent = h('input', { id: 'approvals-new-agent', type: 'text', placeholder: 'main', spellcheck: false, autocomplete: 'off' });
    const addAgent = () => {
      const id = newAgent.value.trim();
      if (!id) return;
      draft.agents = { ...draft.agents, [id]: draft.agents?.[id] ?? { allowlist: [] } };
      this.#renderForm();
      (this.#form.querySelector(`input[data-agent="${CSS.escape(id)}"]`) as HTMLInputElement | null)?.focus();
    };
    replaceChildren(
      this.#form,
      this.#policyFields('Defaults', 'defaults', (draft.defaults ??= {}), 'default'),
      ...agents.map(([id, agent]) => this.#agentFields(id, agent)),
      h(
        'form',
        { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), addAgent()) },
        h('label', { for: 'approvals-new-agent' }, 'Agent id'),
        newAgent,
        h('button', { type: 'submit' }, 'Add agent'),
      ),
    );
  }

  /** Security, ask and ask-fallback selects; an empty choice inherits (defaults: the built-in default). */
  #policyFields(legend: string, key: string, target: ExecApprovalsAgent, inherit: string, ...rest: HTMLElement[]): HTMLElement {
    const select = (field: PolicyKey, label: string, values: string[]) => {
      const id = `approvals-${key}-${field}`;
      const el = h('select', { id }, h('option', { value: '' }, `(${inherit})`), ...values.map((v) => h('option', { value: v }, v)));
      el.value = target[field] ?? '';
      el.addEventListener('change', () => {
        if (el.value) target[field] = el.value;
        else delete target[field];
      });
      return h('span', { class: 'field' }, h('label', { for: id }, label), el);
    };
    return h(
      'fieldset',
      { class: 'approvals-policy' },
      h('legend', {}, legend),
      h('div', { class: 'toolbar' }, select('security', 'Security', SECURITY), select('ask', 'Ask', ASK), select('askFallback', 'When nobody answers', SECURITY)),
      ...rest,
    );
  }

  #agentFields(agentId: string, agent: ExecApprovalsAgent): HTMLElement {
    const key = `agent-${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const list = (agent.allowlist ??= []);
    const pattern = h('input', { id: `approvals-${key}-pattern`, type: 'text', placeholder: '/usr/bin/git or ~/bin/*', spellcheck: false, autocomplete: 'off', 'data-agent': agentId });
    const add = () => {
      const value = pattern.value.trim();
      if (!value) return;
      if (!list.some((e) => e.pattern === value)) list.push({ pattern: value });
      this.#renderForm();
      (this.#form.querySelector(`input[data-agent="${CSS.escape(agentId)}"]`) as HTMLInputElement | null)?.focus();
    };
    const entries = list.length
      ? h(
          'ul',
          { class: 'allowlist', 'aria-label': `Allowlist of agent ${agentId}` },
          ...list.map((entry, i) =>
            h(
              'li',
              {},
              h('span', { class: 'mono' }, entry.pattern),
              entry.lastUsedCommand ? h('small', { class: 'muted' }, ` last: ${entry.lastUsedCommand}`) : null,
              ' ',
              h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${entry.pattern} from agent ${agentId}`, onclick: () => (list.splice(i, 1), this.#renderForm()) }, 'Remove'),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No allowlist entries.');
    const removeAgent = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove agent ${agentId} from the file`, onclick: () => {
      delete this.#draft!.agents![agentId];
      this.#renderForm();
    } }, 'Remove agent');
    return this.#policyFields(
      `Agent ${agentId}`,
      key,
      agent,
      'from defaults',
      entries,
      h(
        'form',
        { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), add()) },
        h('label', { for: `approvals-${key}-pattern` }, `Allow pattern for ${agentId}`),
        pattern,
        h('button', { type: 'submit', 'aria-label': `Add pattern to agent ${agentId}` }, 'Add'),
        removeAgent,
      ),
    );
  }
}

/** A node answers with its host's snapshot, relayed as it is: check the parts the editor needs. */
function asSnapshot(value: unknown): ExecApprovalsSnapshot {
  const v = value as Partial<ExecApprovalsSnapshot> | null;
  if (!v || typeof v.hash !== 'string' || typeof v.file !== 'object' || v.file === null) throw new Error('the node answered without an approvals snapshot (hash and file)');
  return { path: typeof v.path === 'string' ? v.path : '(node)', exists: v.exists !== false, hash: v.hash, file: v.file };
}
