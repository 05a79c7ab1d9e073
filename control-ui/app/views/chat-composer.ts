import type { AgentAttachment } from '../../../lib/protocol/generated/types.js';
import { errorMessage, h, replaceChildren } from '../dom.js';

/** Per image; the gateway's frame limit is what really bounds a message. */
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export interface ChatComposerHooks {
  send(text: string, attachments: AgentAttachment[]): void;
  abort(): void;
}

/**
 * The message box: Enter sends, Shift+Enter adds a line; image attachments when the session's
 * model takes images (read as base64 for `chat.send` attachments); Send and Abort.
 */
export class ChatComposer {
  readonly el: HTMLFormElement;
  readonly input = h('textarea', { id: 'chat-input', name: 'message', rows: 3, placeholder: 'Message the agent (Enter sends, Shift+Enter adds a line; /new starts over)' });
  readonly send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  readonly abort = h('button', { type: 'button', class: 'danger', disabled: true }, 'Abort');
  /** Visually hidden but focusable: the keyboard reaches it, its label shows the focus ring. */
  readonly #files = h('input', { id: 'chat-attach', type: 'file', name: 'attachments', accept: 'image/*', multiple: true, class: 'visually-hidden' });
  readonly #attachLabel = h('label', { for: 'chat-attach', class: 'button-like' }, 'Attach images');
  readonly #attachRow = h('div', { class: 'attach-row', hidden: true });
  readonly #chips = h('ul', { class: 'attach-list', 'aria-label': 'Attached images' });
  readonly #attachError = h('p', { class: 'error', role: 'alert', hidden: true });
  #attachments: AgentAttachment[] = [];

  constructor(hooks: ChatComposerHooks) {
    this.el = h(
      'form',
      {
        class: 'composer',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const text = this.input.value.trim();
          if (!text && this.#attachments.length === 0) return;
          hooks.send(text, [...this.#attachments]);
        },
      },
      h('label', { for: 'chat-input', class: 'visually-hidden' }, 'Message'),
      this.input,
      this.#attachRow,
      this.#attachError,
      h('div', { class: 'composer-actions' }, this.send, this.abort),
    );
    replaceChildren(this.#attachRow, this.#files, this.#attachLabel, this.#chips);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.el.requestSubmit();
      }
    });
    this.abort.addEventListener('click', () => hooks.abort());
    this.#files.addEventListener('change', () => {
      const files = Array.from(this.#files.files ?? []);
      this.#files.value = '';
      this.#add(files).catch((err: unknown) => this.#showProblems([`reading the files failed: ${errorMessage(err)}`]));
    });
  }

  /** Images can be attached only when the session's model takes them. */
  setImagesAllowed(allowed: boolean): void {
    this.#attachRow.hidden = !allowed;
    if (!allowed) this.clearAttachments();
  }

  clearAttachments(): void {
    this.#attachments = [];
    this.#renderChips();
    this.#attachError.hidden = true;
  }

  sent(): void {
    this.input.value = '';
    this.clearAttachments();
  }

  async #add(files: File[]): Promise<void> {
    const problems: string[] = [];
    for (const file of files) {
      if (!file.type.startsWith('image/')) problems.push(`${file.name} is not an image`);
      else if (file.size > MAX_IMAGE_BYTES) problems.push(`${file.name} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
      else this.#attachments.push({ type: 'image', mimeType: file.type, fileName: file.name, content: await base64(file) });
    }
    this.#showProblems(problems);
    this.#renderChips();
  }

  #showProblems(problems: string[]): void {
    this.#attachError.hidden = problems.length === 0;
    this.#attachError.textContent = problems.length ? `Not attached: ${problems.join('; ')}.` : '';
  }

  #renderChips(): void {
    replaceChildren(
      this.#chips,
      ...this.#attachments.map((a, i) =>
        h(
          'li',
          { class: 'attach-chip' },
          h('span', {}, a.fileName ?? `image ${i + 1}`),
          h('button', { type: 'button', 'aria-label': `Remove ${a.fileName ?? `image ${i + 1}`}`, onclick: () => this.#remove(i) }, '×'),
        ),
      ),
    );
  }

  #remove(index: number): void {
    this.#attachments.splice(index, 1);
    this.#renderChips();
    this.#files.focus();
  }
}

async function base64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
