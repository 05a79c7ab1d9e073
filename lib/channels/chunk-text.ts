/**
 * Splits text into pieces of at most `limit` characters (UTF-16 units, as Telegram and WhatsApp
 * count), breaking at a paragraph, then a line, then a space when one lies in the last half of the
 * window, and never inside a surrogate pair. Whitespace at the breaks is dropped.
 */
export function chunkText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`chunk limit must be a positive integer, got ${limit}`);
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = breakPoint(rest, limit);
    const head = rest.slice(0, cut).trimEnd();
    if (head) chunks.push(head);
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.trim() || chunks.length === 0) chunks.push(rest);
  return chunks;
}

function breakPoint(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  const floor = Math.floor(limit / 2);
  for (const separator of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(separator, limit);
    // The separator itself is whitespace and trimmed off, so the piece stays within the limit.
    if (at >= floor) return at + separator.length;
  }
  const code = text.charCodeAt(limit - 1);
  // A high surrogate at the end would split an emoji: leave it for the next chunk.
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}
