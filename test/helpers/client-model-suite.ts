import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_MODEL_TARGETS, generateClientModel } from '../../scripts/protocol-gen-clients.js';
import { syntaxErrors, type GrammarName } from './syntax-errors.js';

export interface ClientModelSuiteOptions {
  /** Heading of the suite, e.g. "Swift". */
  label: string;
  /** Declaration keywords as a regex alternation; matched case-insensitively, as quicktype re-cases acronyms (NodeIdParams). */
  declaration: string;
  /** A small declaration that parses, and a truncated one that must not: proof the syntax check can fail. */
  good: string;
  bad: string;
}

/** The checks every committed client model file gets; each language calls it from its own test file so the slow quicktype runs go in parallel. */
export function clientModelSuite(language: GrammarName, options: ClientModelSuiteOptions): void {
  const target = CLIENT_MODEL_TARGETS[language];
  const declared = (name: string): RegExp => new RegExp(`(${options.declaration}) ${name}\\b`, 'i');

  describe(`${options.label} models (${target.file})`, () => {
    let committed: string;
    // One quicktype run for the file: it takes seconds, not something to repeat per test.
    let generated: Promise<string>;
    beforeAll(async () => {
      committed = await readFile(join(import.meta.dirname, '../..', target.file), 'utf8');
      generated = generateClientModel(language);
    });

    it('match what the generator produces from schema/protocol.schema.json', { timeout: 60_000 }, async () => {
      expect(committed, `${target.file} is stale: run ${target.script}`).toBe(await generated);
    });

    it(`parse without ERROR or MISSING nodes under tree-sitter-${language}`, { timeout: 60_000 }, async () => {
      expect(await syntaxErrors(language, committed)).toEqual([]);
      expect(await syntaxErrors(language, options.good)).toEqual([]);
      expect((await syntaxErrors(language, options.bad)).length).toBeGreaterThan(0);
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
      const missing = [...named].filter((name) => !declared(typeOf(name)).test(committed));
      expect(missing).toEqual([]);
    });
  });
}
