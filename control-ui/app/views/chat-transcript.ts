import type { AgentEventPayload, ChatEventPayload, ChatMessage } from '../../../lib/protocol/generated/types.js';
import { formatTime, h, replaceChildren } from '../dom.js';
import { messageText, toolCallsOf } from './chat-message.js';

interface Bubble {
  el: HTMLElement;
  text: HTMLElement;
  meta: HTMLElement;
  tools: HTMLElement;
}

/** Tool events of runs not yet tied to a session, for this many runs at most. */
const MAX_PENDING_RUNS = 20;

/**
 * The conversation: history pages (newest last, older ones prepended on request), live replies
 * from `chat` events, and tool activity from `agent` events (`stream: "tool"`) inside the reply
 * of the run that called the tool.
 */
export class ChatTranscript {
  readonly el: HTMLElement;
  readonly list = h('ol', { class: 'transcript' });
  readonly #older = h('button', { type: 'button', class: 'load-older', hidden: true }, 'Load older messages');
  readonly #runs = new Map<string, Bubble>();
  /** Agent events carry no session key (protocol 4): a run's tool events wait here until a chat event says whose run it is. */
  readonly #pending = new Map<string, AgentEventPayload[]>();
  readonly #toolCards = new Map<string, HTMLElement>();

  constructor(onOlder: () => void) {
    this.#older.addEventListener('click', onOlder);
    // role=log is not allowed on a list, so the live region wraps it.
    this.el = h('div', { class: 'transcript-wrap' }, this.#older, h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' }, this.list));
  }

  /** Replaces everything with one page of history. */
  reset(messages: ChatMessage[], hasMore: boolean): void {
    this.#runs.clear();
    this.#pending.clear();
    this.#toolCards.clear();
    replaceChildren(this.list, ...messages.map((m) => this.#bubbleFor(m)));
    if (messages.length === 0) this.list.append(h('li', { class: 'empty' }, 'No messages yet.'));
    this.#older.hidden = !hasMore;
    this.scrollToEnd();
  }

  notice(text: string): void {
    replaceChildren(this.list, h('li', { class: 'notice' }, text));
    this.#older.hidden = true;
  }

  /** An older page goes above what is shown; the view stays on the message that was at the top. */
  prepend(messages: ChatMessage[], hasMore: boolean): void {
    const scroller = this.list;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    this.list.querySelector('.empty')?.remove();
    this.list.prepend(...messages.map((m) => this.#bubbleFor(m)));
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
    this.#older.hidden = !hasMore;
  }

  setLoadingOlder(loading: boolean): void {
    this.#older.disabled = loading;
    this.#older.textContent = loading ? 'Loading older messages…' : 'Load older messages';
  }

  addUser(text: string, attachments: number): void {
    this.list.querySelector('.empty')?.remove();
    const note = attachments ? ` · ${attachments} image${attachments === 1 ? '' : 's'}` : '';
    const bubble = this.#bubble({ role: 'user', content: text, timestamp: Date.now() });
    bubble.meta.textContent += note;
    this.list.append(bubble.el);
    this.scrollToEnd();
  }

  /** A chat event of this session's run: the reply so far, or how it ended. */
  onChat(event: ChatEventPayload): void {
    const bubble = this.#runBubble(event.runId);
    if (event.message) {
      const text = messageText(event.message as ChatMessage);
      if (text || event.state === 'delta') bubble.text.textContent = text;
    }
    bubble.el.dataset.state = event.state;
    if (event.state === 'delta') bubble.el.setAttribute('aria-busy', 'true');
    else {
      bubble.el.removeAttribute('aria-busy');
      if (event.state === 'aborted') bubble.meta.textContent += ` · aborted${event.stopReason ? ` (${event.stopReason})` : ''}`;
      if (event.state === 'error') bubble.meta.textContent += ` · error: ${event.errorMessage ?? 'run failed'}`;
    }
    for (const queued of this.#pending.get(event.runId) ?? []) this.#onTool(queued);
    this.#pending.delete(event.runId);
    this.scrollToEnd();
  }

  /** An agent event; tool events of runs this transcript shows become cards in their reply. */
  onAgent(event: AgentEventPayload, ours: boolean): void {
    if (event.stream !== 'tool') return;
    if (ours || this.#runs.has(event.runId)) {
      this.#onTool(event);
      return;
    }
    const queued = this.#pending.get(event.runId) ?? [];
    queued.push(event);
    this.#pending.set(event.runId, queued);
    while (this.#pending.size > MAX_PENDING_RUNS) this.#pending.delete(this.#pending.keys().next().value!);
  }

  /** Forgets tool events held for a run once it is known to be another session's. */
  drop(runId: string): void {
    this.#pending.delete(runId);
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  #onTool(event: AgentEventPayload): void {
    const data = event.data as { phase?: string; name?: string; toolCallId?: string; args?: unknown; meta?: string; isError?: boolean; result?: unknown };
    const bubble = this.#runBubble(event.runId);
    const id = `${event.runId}:${data.toolCallId ?? data.name ?? event.seq}`;
    let card = this.#toolCards.get(id);
    if (!card) {
      card = toolCard(data.name ?? 'tool', data.args);
      this.#toolCards.set(id, card);
      bubble.tools.append(card);
    }
    const state = card.querySelector('.tool-state')!;
    if (data.phase === 'result') {
      card.dataset.phase = data.isError ? 'error' : 'done';
      state.textContent = data.isError ? 'failed' : 'done';
      const body = typeof data.result === 'string' ? data.result : JSON.stringify(data.result, null, 2);
      card.querySelector('.tool-body')!.append(h('div', { class: 'tool-result' }, h('strong', {}, 'Result'), h('pre', { class: 'code' }, clip(body ?? data.meta ?? ''))));
    } else {
      card.dataset.phase = 'running';
      state.textContent = 'running…';
    }
    this.scrollToEnd();
  }

  #runBubble(runId: string): Bubble {
    let bubble = this.#runs.get(runId);
    if (!bubble) {
      this.list.querySelector('.empty')?.remove();
      bubble = this.#bubble({ role: 'assistant', content: '', timestamp: Date.now() });
      bubble.el.dataset.runId = runId;
      this.#runs.set(runId, bubble);
      this.list.append(bubble.el);
    }
    return bubble;
  }

  #bubbleFor(message: ChatMessage): HTMLElement {
    if (message.role === 'toolResult') {
      const name = typeof message.toolName === 'string' ? message.toolName : 'tool';
      const card = toolCard(name, undefined);
      card.dataset.phase = message.isError === true ? 'error' : 'done';
      card.querySelector('.tool-state')!.textContent = message.isError === true ? 'failed' : 'done';
      card.querySelector('.tool-body')!.append(h('pre', { class: 'code' }, clip(messageText(message))));
      return h('li', { class: 'bubble bubble-tool' }, card);
    }
    const bubble = this.#bubble(message);
    for (const call of toolCallsOf(message)) bubble.tools.append(h('p', { class: 'tool-call muted' }, `Called ${call.name}`));
    return bubble.el;
  }

  #bubble(message: ChatMessage): Bubble {
    const role = message.role === 'user' ? 'user' : message.role === 'assistant' ? 'assistant' : 'other';
    const text = h('div', { class: 'bubble-text' }, messageText(message));
    const meta = h('div', { class: 'bubble-meta' }, `${message.role}${message.timestamp ? ` · ${formatTime(message.timestamp)}` : ''}`);
    const tools = h('div', { class: 'bubble-tools' });
    return { el: h('li', { class: `bubble bubble-${role}` }, meta, tools, text), text, meta, tools };
  }
}

function toolCard(name: string, args: unknown): HTMLElement {
  const body = h('div', { class: 'tool-body' });
  if (args !== undefined) body.append(h('div', {}, h('strong', {}, 'Arguments'), h('pre', { class: 'code' }, clip(JSON.stringify(args, null, 2)))));
  return h(
    'details',
    { class: 'tool-card', 'data-tool': name },
    h('summary', {}, h('span', { class: 'tool-name mono' }, name), ' ', h('span', { class: 'tool-state' }, '')),
    body,
  );
}

function clip(text: string): string {
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}
