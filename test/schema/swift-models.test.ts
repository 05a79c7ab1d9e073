import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_MODEL_TARGETS, generateClientModel } from '../../scripts/protocol-gen-clients.js';
import { syntaxErrors } from '../helpers/syntax-errors.js';

const target = CLIENT_MODEL_TARGETS.swift;
/** How a type is declared; case-insensitive, as quicktype re-cases acronyms (NodeIdParams). */
const DECLARATION = (name: string): string => `(struct|enum|class|typealias) ${name}\\b`;

describe(`Swift models (${target.file})`, () => {
  let committed: string;
  // One quicktype run for the file: it takes seconds, not something to repeat per test.
  let generated: Promise<string>;
  beforeAll(async () => {
    committed = await readFile(join(import.meta.dirname, '../..', target.file), 'utf8');
    generated = generateClientModel('swift');
  });

  it('match what the generator produces from schema/protocol.schema.json', { timeout: 60_000 }, async () => {
    expect(committed, `${target.file} is stale: run ${target.script}`).toBe(await generated);
  });

  it('parse without ERROR or MISSING nodes under tree-sitter-swift', { timeout: 60_000 }, async () => {
    expect(await syntaxErrors('swift', committed)).toEqual([]);
    // The check can fail: a truncated declaration is reported.
    expect(await syntaxErrors('swift', 'struct Frame: Codable {\n    let id: String\n    let ok: Bool?\n}\n')).toEqual([]);
    expect((await syntaxErrors('swift', 'struct Frame: Codable {\n    let id: String\n')).length).toBeGreaterThan(0);
  });

  it('have a type for every definition, frames, params, results and event payloads included', async () => {
    const bundle = JSON.parse(await readFile(join(import.meta.dirname, '../../schema/protocol.schema.json'), 'utf8'));
    const methods = Object.values<{ params: string; accepted?: string; result: string }>(bundle['x-methods']);
    const events = Object.values<{ payload: string }>(bundle['x-events']);
    const named = new Set([...methods.flatMap((m) => [m.params, m.result, ...(m.accepted ? [m.accepted] : [])]), ...events.map((e) => e.payload)]);
    for (const frame of ['RequestFrame', 'ResponseFrame', 'EventFrame', 'GatewayFrame', 'ConnectParams', 'HelloOk']) named.add(frame);
    expect(named.size).toBeGreaterThan(100);
    // A nullable alias (`anyOf: [null, X]`) gets no type of its own: it decodes as an optional X.
    const typeOf = (name: string): string => {
      const members: Array<{ type?: string; $ref?: string }> | undefined = bundle.definitions[name]?.anyOf ?? bundle.definitions[name]?.oneOf;
      const nonNull = members?.filter((m) => m.type !== 'null') ?? [];
      return members?.length === 2 && nonNull.length === 1 && nonNull[0]!.$ref ? nonNull[0]!.$ref.split('/').pop()! : name;
    };
    const missing = [...named].filter((name) => !new RegExp(DECLARATION(typeOf(name)), 'i').test(committed));
    expect(missing).toEqual([]);
  });
});
