/**
 * The renderer hands every Text component to a markdown renderer, with its usage hint folded in
 * (`h2` → `## text`, `caption` → `*text*`). No markdown library is in this package's dependency
 * set, so this one renders exactly those hints as elements and everything else as plain text:
 * markdown written inside a text shows as written. Every character is escaped, so agent text can
 * never become markup.
 */
export function renderPlainText(text: string): Promise<string> {
  const heading = /^(#{1,5}) (.*)$/s.exec(text);
  if (heading) return Promise.resolve(`<h${heading[1]!.length}>${escapeHtml(heading[2]!)}</h${heading[1]!.length}>`);
  const caption = /^\*(.*)\*$/s.exec(text);
  if (caption) return Promise.resolve(`<p><em>${escapeHtml(caption[1]!)}</em></p>`);
  return Promise.resolve(`<p>${escapeHtml(text)}</p>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
