import type { ChatEventPayload, ChatMessage } from '../../../lib/protocol/generated/types.js';
import { errorMessage, formatTime, h, replaceChildren } from '../dom.js';
import { inBackground, statusLine, unavailable, type View, type ViewContext } from './view.js';

interface Bubble {
  el: HTMLElement;
  text: HTMLElement;
  meta: HTMLElement;
}

/**
 * WebChat: pick a session, read its history, send a message and watch the reply stream in
 * (`chat` events), abort the run. Events for other sessions are ignored.
 */
export class ChatView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #sessionSelect = h('select', { id: 'chat-session', name: 'session' });
  readonly #transcript = h('ol', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  readonly #input = h('textarea', { id: 'chat-input', name: 'message', rows: 3, placeholder: 'Message the agent (Enter sends, Shift+Enter adds a line)' });
  readonly #send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  readonly #abort = h('button', { type: 'button', class: 'danger', disabled: true }, 'Abort');
  readonly #status = statusLine();
  readonly #body = h('div', { class: 'chat' });
  readonly #runs = new Map<string, Bubble>();
  #sessionKey = '';
  #activeRunId: string | undefined;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    const form = h(
      'form',
      {
        class: 'composer',
        onsubmit: (e: Event) => {
          e.preventDefault();
          inBackground(ctx.session, 'chat view', this.#sendMessage());
        },
      },
      h('label', { for: 'chat-input', class: 'visually-hidden' }, 'Message'),
      this.#input,
      h('div', { class: 'composer-actions' }, this.#send, this.#abort),
    );
    this.#input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    this.#abort.addEventListener('click', () => inBackground(ctx.session, 'chat view', this.#abortRun()));
    this.#sessionSelect.addEventListener('change', () => {
      this.#sessionKey = this.#sessionSelect.value;
      inBackground(ctx.session, 'chat view', this.#loadHistory());
    });
    const picker = h(
      'div',
      { class: 'chat-toolbar' },
      h('label', { for: 'chat-session' }, 'Session'),
      this.#sessionSelect,
      h('button', { type: 'button', onclick: () => inBackground(ctx.session, 'chat view', this.#load()) }, 'Reload'),
    );
    replaceChildren(this.#body, picker, this.#transcript, this.#status, form);
    this.el = h('div', { class: 'view-body' }, this.#body);
    ctx.session.on('event', ({ event, payload }) => {
      if (event === 'chat') this.#onChat(payload as ChatEventPayload);
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
    await this.#loadSessions();
    await this.#loadHistory();
  }

  async #loadSessions(): Promise<void> {
    const { session } = this.#ctx;
    const main = session.hello?.snapshot.sessionDefaults?.mainSessionKey ?? 'main';
    const keys = new Set<string>([main]);
    if (session.has('sessions.list')) {
      try {
        const list = await session.client.call('sessions.list', { limit: 50 });
        for (const row of list.sessions) keys.add(row.key);
      } catch (err) {
        session.reportError('sessions.list', err);
      }
    }
    if (!this.#sessionKey) this.#sessionKey = main;
    keys.add(this.#sessionKey);
    replaceChildren(this.#sessionSelect, ...[...keys].map((k) => h('option', { value: k, selected: k === this.#sessionKey }, k)));
  }

  async #loadHistory(): Promise<void> {
    const { session } = this.#ctx;
    this.#runs.clear();
    this.#setActiveRun(undefined);
    if (!session.has('chat.history')) {
      replaceChildren(this.#transcript, h('li', { class: 'notice' }, 'History is not available on this gateway (no chat.history).'));
      return;
    }
    try {
      const history = await session.client.call('chat.history', { sessionKey: this.#sessionKey, limit: 200 });
      replaceChildren(this.#transcript);
      for (const message of history.messages) this.#transcript.append(this.#bubble(message).el);
      if (history.messages.length === 0) this.#transcript.append(h('li', { class: 'empty' }, 'No messages yet.'));
      this.#scroll();
    } catch (err) {
      session.reportError('chat.history', err);
      replaceChildren(this.#transcript, h('li', { class: 'notice' }, `Could not load history: ${errorMessage(err)}`));
    }
  }

  async #sendMessage(): Promise<void> {
    const text = this.#input.value.trim();
    if (!text) return;
    const { session } = this.#ctx;
    const idempotencyKey = newId();
    this.#send.disabled = true;
    this.#transcript.querySelector('.empty')?.remove();
    this.#transcript.append(this.#bubble({ role: 'user', content: text, timestamp: Date.now() }).el);
    this.#scroll();
    try {
      const result = await session.client.call('chat.send', { sessionKey: this.#sessionKey, message: text, idempotencyKey });
      this.#input.value = '';
      if ('runId' in result && (result.status === 'started' || result.status === 'in_flight')) {
        this.#setActiveRun(result.runId);
        this.#status.textContent = 'The agent is replying…';
      } else if ('aborted' in result) {
        this.#status.textContent = result.aborted ? 'Stopped the running reply.' : 'Nothing was running.';
      }
    } catch (err) {
      this.#status.textContent = `Could not send: ${errorMessage(err)}`;
      session.reportError('chat.send', err);
    } finally {
      this.#send.disabled = false;
      this.#input.focus();
    }
  }

  async #abortRun(): Promise<void> {
    const runId = this.#activeRunId;
    const { session } = this.#ctx;
    this.#abort.disabled = true;
    try {
      const result = await session.client.call('chat.abort', { sessionKey: this.#sessionKey, ...(runId ? { runId } : {}) });
      this.#status.textContent = result.aborted ? 'Aborted.' : 'Nothing to abort.';
    } catch (err) {
      this.#status.textContent = `Could not abort: ${errorMessage(err)}`;
      session.reportError('chat.abort', err);
      this.#abort.disabled = false;
    }
  }

  #onChat(event: ChatEventPayload): void {
    if (event.sessionKey !== this.#sessionKey) return;
    let bubble = this.#runs.get(event.runId);
    if (!bubble) {
      this.#transcript.querySelector('.empty')?.remove();
      bubble = this.#bubble({ role: 'assistant', content: '', timestamp: Date.now() });
      bubble.el.dataset.runId = event.runId;
      this.#runs.set(event.runId, bubble);
      this.#transcript.append(bubble.el);
    }
    if (event.message) bubble.text.textContent = messageText(event.message);
    bubble.el.dataset.state = event.state;
    if (event.state === 'delta') {
      bubble.el.setAttribute('aria-busy', 'true');
      if (this.#activeRunId === undefined) this.#setActiveRun(event.runId);
    } else {
      bubble.el.removeAttribute('aria-busy');
      if (event.state === 'aborted') bubble.meta.textContent += ` · aborted${event.stopReason ? ` (${event.stopReason})` : ''}`;
      if (event.state === 'error') bubble.meta.textContent += ` · error: ${event.errorMessage ?? 'run failed'}`;
      if (this.#activeRunId === event.runId) {
        this.#setActiveRun(undefined);
        this.#status.textContent = event.state === 'final' ? 'Reply complete.' : event.state === 'aborted' ? 'Reply aborted.' : `Reply failed: ${event.errorMessage ?? 'error'}`;
      }
    }
    this.#scroll();
  }

  #setActiveRun(runId: string | undefined): void {
    this.#activeRunId = runId;
    this.#abort.disabled = runId === undefined;
  }

  #bubble(message: ChatMessage): Bubble {
    const role = message.role === 'user' ? 'user' : message.role === 'assistant' ? 'assistant' : 'other';
    const text = h('div', { class: 'bubble-text' }, messageText(message));
    const meta = h('div', { class: 'bubble-meta' }, `${message.role}${message.timestamp ? ` · ${formatTime(message.timestamp)}` : ''}`);
    return { el: h('li', { class: `bubble bubble-${role}` }, meta, text), text, meta };
  }

  #scroll(): void {
    this.#transcript.scrollTop = this.#transcript.scrollHeight;
  }
}

/** Text of a transcript message: a string, or the text parts of a content array. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text' ? String((part as { text?: unknown }).text ?? '') : ''))
    .join('');
}

function newId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
