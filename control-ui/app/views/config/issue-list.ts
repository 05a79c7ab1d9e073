import { h } from '../../dom.js';
import type { SchemaIssue } from '../../schema-check.js';

/** A titled list of `path message` problems (the file's, the schema check's, the gateway's). */
export function issueList(title: string, issues: SchemaIssue[]): HTMLElement | null {
  if (issues.length === 0) return null;
  return h('div', { class: 'issues' }, h('p', {}, h('strong', {}, title)), h('ul', {}, ...issues.map((i) => h('li', {}, h('code', {}, i.path || '/'), ` ${i.message}`))));
}
