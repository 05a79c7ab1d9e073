/**
 * What the canvas commands carry, checked before the renderer sees it: A2UI v0.8 server→client
 * messages (`surfaceUpdate`, `dataModelUpdate`, `beginRendering`, `deleteSurface`), one per object
 * or one per JSONL line. Runs in the page and in Node (tests), so nothing here touches the DOM.
 */

/** The four v0.8 message kinds, the only ones upstream's canvas accepts. */
export const A2UI_MESSAGE_KINDS = ['surfaceUpdate', 'dataModelUpdate', 'beginRendering', 'deleteSurface'] as const;

export type A2uiMessageKind = (typeof A2UI_MESSAGE_KINDS)[number];

/** One v0.8 message: exactly one of the four kinds, each naming its surface. */
export type A2uiMessage = { [K in A2uiMessageKind]: { [P in K]: { surfaceId: string } & Record<string, unknown> } }[A2uiMessageKind];

const KINDS: ReadonlySet<string> = new Set(A2UI_MESSAGE_KINDS);

/** A message, or a batch, that does not follow A2UI v0.8; `index` says which one (0-based). */
export class A2uiMessageError extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = 'A2uiMessageError';
  }
}

/**
 * `canvas.a2ui.push`'s payload: an array of messages, or `{ messages: [...] }` as the node command
 * carries it. Every message is checked before any is applied, so a bad batch changes nothing.
 */
export function parseA2uiMessages(input: unknown): A2uiMessage[] {
  const list = Array.isArray(input) ? input : isObject(input) && Array.isArray(input.messages) ? input.messages : undefined;
  if (!list) throw new A2uiMessageError('expected an array of A2UI messages or { messages: [...] }');
  return list.map((message, index) => checkMessage(message, index));
}

/**
 * `canvas.a2ui.pushJSONL`'s payload: JSON Lines text, or `{ jsonl }` as the node command carries
 * it. Blank lines are skipped; a line that is not JSON names its line number.
 */
export function parseA2uiJsonl(input: unknown): A2uiMessage[] {
  const text = typeof input === 'string' ? input : isObject(input) && typeof input.jsonl === 'string' ? input.jsonl : undefined;
  if (text === undefined) throw new A2uiMessageError('expected JSONL text or { jsonl: "..." }');
  const messages: A2uiMessage[] = [];
  for (const [lineIndex, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new A2uiMessageError(`line ${lineIndex + 1} is not JSON: ${(err as Error).message}`, messages.length);
    }
    messages.push(checkMessage(value, messages.length));
  }
  return messages;
}

function checkMessage(value: unknown, index: number): A2uiMessage {
  if (!isObject(value)) throw new A2uiMessageError(`message ${index} is not an object`, index);
  // v0.9 (`createSurface`, `updateComponents`, …, with `version`) renders differently; upstream's canvas refuses it too.
  if ('createSurface' in value || 'version' in value) {
    throw new A2uiMessageError(`message ${index} is A2UI v0.9 (createSurface/version); this canvas renders v0.8 only`, index);
  }
  const kinds = Object.keys(value).filter((key) => KINDS.has(key));
  const others = Object.keys(value).filter((key) => !KINDS.has(key));
  if (kinds.length !== 1 || others.length > 0) {
    throw new A2uiMessageError(`message ${index} must have exactly one of ${A2UI_MESSAGE_KINDS.join(', ')}; got ${Object.keys(value).join(', ') || 'nothing'}`, index);
  }
  const body = value[kinds[0]!];
  if (!isObject(body) || typeof body.surfaceId !== 'string' || body.surfaceId === '') {
    throw new A2uiMessageError(`message ${index} (${kinds[0]}) needs a surfaceId`, index);
  }
  if (kinds[0] === 'beginRendering' && (typeof body.root !== 'string' || body.root === '')) {
    throw new A2uiMessageError(`message ${index} (beginRendering) needs a root component id`, index);
  }
  if (kinds[0] === 'surfaceUpdate' && !Array.isArray(body.components)) {
    throw new A2uiMessageError(`message ${index} (surfaceUpdate) needs a components array`, index);
  }
  return value as A2uiMessage;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
