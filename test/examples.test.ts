import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every example is a self-checking program: it exits 0 when all of its checks pass.
const repo = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(repo, 'examples');
const examples = readdirSync(examplesDir)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .sort();

const TEST_TIMEOUT_MS = 30_000;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runExample(file: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Killed just before the test times out, so a hung example never outlives the run.
      timeout: TEST_TIMEOUT_MS - 2_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('examples', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const name of examples) {
    it(
      `${name} exits 0`,
      async () => {
        const result = await runExample(join(examplesDir, name));
        const report =
          `examples/${name} exited with code ${result.code}${result.signal ? ` (signal ${result.signal})` : ''}\n` +
          `--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
        expect(result.code, report).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  }
});
