import type { AgentAttachment, AgentEventPayload, AgentSummary, ChatEventPayload, ModelChoice } from '../../../lib/protocol/generated/types.js';
import { h, replaceChildren } from '../dom.js';
import { canonicalKey } from './chat-message.js';
import { ChatComposer } from './chat-composer.js';
import { ChatTranscript } from './chat-transcript.js';
import { reportedError } from './reported-error.js';
import { inBackground, statusLine, unavailable, type View, type ViewContext } from './view.js';

/** Messages per history page. */
const PAGE = 50;
const NEW_COMMAND = /^\/(new|reset)(\s|$)/i;

/**
 * WebChat: pick an agent and one of its sessions, read the history page by page, send a message
 * (with images when the model takes them) and watch the reply stream in with its tool activity,
 * abort the run, `/new` to start over. Events for other sessions are ignored.
 */
export class ChatView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #agentSelect = h('select', { id: 'chat-agent', name: 'agent' });
  readonly #sessionSelect = h('select', { id: 'chat-session', name: 'session' });
  readonly #tools = h('input', { id: 'chat-tools', type: 'checkbox', name: 'tools' });
  readonly #status = statusLine();
  readonly #error = h('div');
  readonly #body = h('div', { class: 'chat' });
  readonly #transcript: ChatTranscript;
  readonly #composer: ChatComposer;
  /** Runs this view started: their tool events are shown before any chat event names the session. */
  readonly #ownRuns = new Set<string>();
  #agents: AgentSummary[] = [];
  #defaultAgent = 'main';
  #agentId = '';
  #sessionKey = '';
  #models: ModelChoice[] = [];
  #modelOverride: string | undefined;
  #activeRunId: string | undefined;
  #nextOffset: number | undefined;
  /** Messages in the transcript when the first page came, and whether runs have added to it since. */
  #loadedTotal = 0;
  #grown = false;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    const bg = (work: Promise<unknown>) => inBackground(ctx.session, 'chat view', work);
    this.#transcript = new ChatTranscript(() => bg(this.#loadOlder()));
    this.#composer = new ChatComposer({ send: (text, attachments) => bg(this.#send(text, attachments)), abort: () => bg(this.#abortRun()) });
    this.#agentSelect.addEventListener('change', () => {
      this.#agentId = this.#agentSelect.value;
      this.#sessionKey = '';
      bg(this.#load());
    });
    this.#sessionSelect.addEventListener('change', () => {
      this.#sessionKey = this.#sessionSelect.value;
      bg(this.#loadHistory());
    });
    this.#tools.addEventListener('change', () => bg(this.#setToolActivity(this.#tools.checked)));
    const toolbar = h(
      'div',
      { class: 'chat-toolbar' },
      h('label', { for: 'chat-agent' }, 'Agent'),
      this.#agentSelect,
      h('label', { for: 'chat-session' }, 'Session'),
      this.#sessionSelect,
      h('button', { type: 'button', onclick: () => bg(this.#send('/new', [])) }, 'New session'),
      h('button', { type: 'button', onclick: () => bg(this.#load()) }, 'Reload'),
      h('label', { class: 'check', for: 'chat-tools' }, this.#tools, ' Show tool activity'),
    );
    replaceChildren(this.#body, toolbar, this.#error, this.#transcript.el, this.#status, this.#composer.el);
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('event', ({ event, payload }) => {
      if (event === 'chat') this.#onChat(payload as ChatEventPayload);
      if (event === 'agent') this.#transcript.onAgent(payload as AgentEventPayload, this.#ownRuns.has((payload as AgentEventPayload).runId));
    });
  }

  show(): void {
    const { session } = this.#ctx;
    if (!session.has('chat.send')) {
      replaceChildren(this.el, unavailable('chat.send'));
      return;
    }
    if (this.el.firstChild !== this.#body) replaceChildren(this.el, this.#body);
    inBackground(session, 'chat view', this.#load());
  }

  hide(): void {}

  async #load(): Promise<void> {
    replaceChildren(this.#error);
    await Promise.all([this.#loadAgents(), this.#loadModels()]);
    await this.#loadSessions();
    await this.#loadHistory();
  }

  async #loadAgents(): Promise<void> {
    const { session } = this.#ctx;
    if (session.has('agents.list')) {
      try {
        const result = await session.client.call('agents.list', {});
        this.#agents = result.agents;
        this.#defaultAgent = result.defaultId;
      } catch (err) {
        this.#error.append(reportedError(session, 'agents.list', err));
      }
    }
    if (!this.#agents.some((a) => a.id === this.#agentId)) this.#agentId = this.#defaultAgent;
    const agents = this.#agents.length ? this.#agents : [{ id: this.#defaultAgent }];
    replaceChildren(this.#agentSelect, ...agents.map((a) => h('option', { value: a.id, selected: a.id === this.#agentId }, a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id)));
  }

  async #loadModels(): Promise<void> {
    const { session } = this.#ctx;
    if (!session.has('models.list')) return;
    try {
      this.#models = (await session.client.call('models.list', {})).models;
    } catch (err) {
      this.#error.append(reportedError(session, 'models.list', err));
    }
  }

  async #loadSessions(): Promise<void> {
    const { session } = this.#ctx;
    const main = `agent:${this.#agentId}:main`;
    const keys = new Map<string, string>([[main, `${main} (main)`]]);
    if (session.has('sessions.list')) {
      try {
        const list = await session.client.call('sessions.list', { agentId: this.#agentId, limit: 100 });
        for (const row of list.sessions) if (!keys.has(row.key)) keys.set(row.key, row.label ? `${row.key} · ${row.label}` : row.key);
      } catch (err) {
        this.#error.append(reportedError(session, 'sessions.list', err));
      }
    }
    if (!this.#sessionKey) this.#sessionKey = main;
    if (!keys.has(this.#sessionKey)) keys.set(this.#sessionKey, this.#sessionKey);
    replaceChildren(this.#sessionSelect, ...[...keys].map(([k, label]) => h('option', { value: k, selected: k === this.#sessionKey }, label)));
  }

  async #loadHistory(): Promise<void> {
    const { session } = this.#ctx;
    this.#setActiveRun(undefined);
    this.#nextOffset = undefined;
    this.#grown = false;
    if (!session.has('chat.history')) {
      this.#transcript.notice('History is not available on this gateway (no chat.history).');
      return;
    }
    try {
      const history = await session.client.call('chat.history', { sessionKey: this.#sessionKey, limit: PAGE });
      this.#nextOffset = history.nextOffset;
      this.#loadedTotal = history.totalMessages ?? history.messages.length;
      this.#modelOverride = history.sessionInfo?.modelOverride;
      this.#tools.checked = history.sessionInfo?.verboseLevel === 'on';
      this.#transcript.reset(history.messages, history.hasMore === true);
      this.#composer.setImagesAllowed(this.#takesImages());
    } catch (err) {
      this.#transcript.notice('Could not load the history.');
      this.#error.append(reportedError(session, 'chat.history', err));
    }
  }

  /** The page before the oldest shown; runs since the first page moved the offsets by what they added. */
  async #loadOlder(): Promise<void> {
    const { session } = this.#ctx;
    if (this.#nextOffset === undefined) return;
    this.#transcript.setLoadingOlder(true);
    try {
      let shift = 0;
      if (this.#grown) {
        const now = await session.client.call('chat.history', { sessionKey: this.#sessionKey, limit: 1 });
        shift = (now.totalMessages ?? this.#loadedTotal) - this.#loadedTotal;
      }
      const page = await session.client.call('chat.history', { sessionKey: this.#sessionKey, limit: PAGE, offset: this.#nextOffset + shift });
      this.#loadedTotal += shift;
      this.#grown = false;
      this.#nextOffset = page.nextOffset === undefined ? undefined : page.nextOffset - shift;
      this.#transcript.prepend(page.messages, page.hasMore === true);
    } catch (err) {
      this.#error.append(reportedError(session, 'chat.history', err));
    } finally {
      this.#transcript.setLoadingOlder(false);
    }
  }

  #takesImages(): boolean {
    const agent = this.#agents.find((a) => a.id === this.#agentId);
    const ref = this.#modelOverride ?? agent?.model?.primary;
    const choice = this.#models.find((m) => `${m.provider}/${m.id}` === ref);
    return choice?.input?.includes('image') ?? false;
  }

  async #send(text: string, attachments: AgentAttachment[]): Promise<void> {
    const { session } = this.#ctx;
    const idempotencyKey = newId();
    const starting = NEW_COMMAND.test(text);
    this.#composer.send.disabled = true;
    replaceChildren(this.#error);
    if (starting) this.#transcript.reset([], false);
    this.#transcript.addUser(text, attachments.length);
    this.#ownRuns.add(idempotencyKey);
    try {
      const result = await session.client.call('chat.send', { sessionKey: this.#sessionKey, message: text, idempotencyKey, ...(attachments.length ? { attachments } : {}) });
      this.#composer.sent();
      this.#grown = true;
      if ('runId' in result && (result.status === 'started' || result.status === 'in_flight')) {
        this.#setActiveRun(result.runId);
        this.#status.textContent = starting ? 'Started a new session; the agent is replying…' : 'The agent is replying…';
      } else if ('aborted' in result) {
        this.#status.textContent = result.aborted ? 'Stopped the running reply.' : 'Nothing was running.';
      }
    } catch (err) {
      this.#ownRuns.delete(idempotencyKey);
      this.#status.textContent = '';
      this.#error.append(reportedError(session, 'chat.send', err));
    } finally {
      this.#composer.send.disabled = false;
      this.#composer.input.focus();
    }
  }

  async #abortRun(): Promise<void> {
    const runId = this.#activeRunId;
    const { session } = this.#ctx;
    this.#composer.abort.disabled = true;
    try {
      const result = await session.client.call('chat.abort', { sessionKey: this.#sessionKey, ...(runId ? { runId } : {}) });
      this.#status.textContent = result.aborted ? 'Aborted.' : 'Nothing to abort.';
    } catch (err) {
      this.#status.textContent = '';
      this.#error.append(reportedError(session, 'chat.abort', err));
      this.#composer.abort.disabled = false;
    }
  }

  /** Verbose on: the gateway sends tool events for this session's runs. */
  async #setToolActivity(on: boolean): Promise<void> {
    const { session } = this.#ctx;
    try {
      await session.client.call('sessions.patch', { key: this.#sessionKey, verboseLevel: on ? 'on' : 'off' });
      this.#status.textContent = on ? 'Tool activity will show in replies.' : 'Tool activity hidden.';
    } catch (err) {
      this.#tools.checked = !on;
      this.#error.append(reportedError(session, 'sessions.patch', err));
    }
  }

  #onChat(event: ChatEventPayload): void {
    if (canonicalKey(event.sessionKey, this.#defaultAgent) !== this.#sessionKey) {
      this.#transcript.drop(event.runId);
      return;
    }
    this.#grown = true;
    this.#transcript.onChat(event);
    if (event.state === 'delta') {
      if (this.#activeRunId === undefined) this.#setActiveRun(event.runId);
      return;
    }
    this.#ownRuns.delete(event.runId);
    if (this.#activeRunId === event.runId) {
      this.#setActiveRun(undefined);
      this.#status.textContent = event.state === 'final' ? 'Reply complete.' : event.state === 'aborted' ? 'Reply aborted.' : `Reply failed: ${event.errorMessage ?? 'error'}`;
    }
  }

  #setActiveRun(runId: string | undefined): void {
    this.#activeRunId = runId;
    this.#composer.abort.disabled = runId === undefined;
  }
}

function newId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
