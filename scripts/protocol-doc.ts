/**
 * Rewrites the method and event tables of docs/protocol.md (between the `methods:start` and
 * `methods:end` markers) from the protocol schema and the gateway's access rules, so the page
 * cannot drift from them. Run `npx tsx scripts/protocol-doc.ts`; test/docs/protocol-doc.test.ts
 * fails when the committed page differs from what this produces.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_SCOPE, canReceiveEvent, methodAccessError, type AccessScope } from '../lib/method-access.js';
import { eventSpecs, methodSpecs } from '../lib/protocol/generated/specs.js';

export const DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'protocol.md');
const START = '<!-- methods:start -->';
const END = '<!-- methods:end -->';
const SCOPES = ['operator.read', 'operator.write', 'operator.pairing', 'operator.approvals', ADMIN_SCOPE];

const code = (text: string) => `\`${text}\``;
/** Scopes that pass, without `operator.admin` when others do (it passes everything; the table says so once). */
const scopeList = (passing: string[]) => (passing.length > 1 ? passing.filter((s) => s !== ADMIN_SCOPE) : passing).map(code).join(' or ');

/** Who may call a method of an access class, asked of the same rule the gateway enforces. */
function callers(access: AccessScope): string {
  if (methodAccessError('node', [], access) === undefined) return 'role `node` only';
  return scopeList(SCOPES.filter((scope) => methodAccessError('operator', [scope], access) === undefined));
}

function receivers(event: string, access: AccessScope | undefined): string {
  if (event === 'connect.challenge') return 'each new connection, before `connect`';
  if (canReceiveEvent('node', [], access)) return 'every connection';
  const passing = SCOPES.filter((scope) => canReceiveEvent('operator', [scope], access));
  if (passing.length === 0) return 'no broadcast: sent to one node connection';
  return `operators with ${scopeList(passing)}`;
}

/** The generated section: one table of every method, one of every event. */
export function renderTables(): string {
  const methods = Object.entries(methodSpecs).map(([name, spec]) => {
    const accepted = 'accepted' in spec ? `${code(spec.accepted)}, then ` : '';
    return `| ${code(name)} | ${spec.scope} | ${callers(spec.scope)} | ${code(spec.params)} | ${accepted}${code(spec.result)} |`;
  });
  const events = Object.entries(eventSpecs).map(([name, spec]) => {
    const scope = 'scope' in spec ? (spec.scope as AccessScope) : undefined;
    return `| ${code(name)} | ${code(spec.payload)} | ${receivers(name, scope)} | ${spec.dropIfSlow ? 'yes' : 'no'} |`;
  });
  return [
    `Methods (${methods.length}). Access is the schema's class; \`operator.admin\` passes every class except \`node\`.`,
    '',
    '| Method | Access | Required scope | Params | Result |',
    '|---|---|---|---|---|',
    ...methods,
    '',
    `Events (${events.length}).`,
    '',
    '| Event | Payload | Receivers | Dropped for slow consumers |',
    '|---|---|---|---|',
    ...events,
  ].join('\n');
}

/** `doc` with its generated section replaced by `renderTables()`. */
export function updateProtocolDoc(doc: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) throw new Error(`docs/protocol.md needs the ${START} and ${END} markers, in that order`);
  return `${doc.slice(0, start + START.length)}\n${renderTables()}\n${doc.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(DOC_PATH, updateProtocolDoc(await readFile(DOC_PATH, 'utf8')));
  console.log('wrote docs/protocol.md');
}
