import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const SAMPLE = `async function p(): Promise<void> {}

export function floating(): void {
  void p();
  p();
}

export function handled(): void {
  p().catch(() => {});
}
`;

describe('lint: floating promises', () => {
  it('the repo config reports `void p()` and a bare `p()`, not `p().catch(...)`', async () => {
    const eslint = new ESLint({ cwd: join(import.meta.dirname, '../..') });
    // Typed linting only accepts files of the tsconfig project: the sample stands in for this file.
    const [result] = await eslint.lintText(SAMPLE, { filePath: import.meta.filename });
    expect(result!.messages.map((m) => `${m.line}: ${m.ruleId ?? m.message}`)).toEqual([
      '4: @typescript-eslint/no-floating-promises',
      '5: @typescript-eslint/no-floating-promises',
    ]);
  }, 60_000);
});
