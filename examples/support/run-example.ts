/**
 * What every example shares: it is a program that checks its own results, prints `FAIL <name>: …`
 * with what it expected and what it got, and exits 1 on any mismatch or hang.
 */
import { AssertionError } from 'node:assert/strict';
import { inspect } from 'node:util';

/** Runs `main`, exiting 1 with a readable reason if it throws or takes longer than `timeoutMs`. */
export function runExample(name: string, main: () => Promise<void>, timeoutMs = 15_000): void {
  const fail = (err: unknown): never => {
    console.error(`FAIL ${name}: ${describeFailure(err)}`);
    process.exit(1);
  };
  setTimeout(() => fail(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs).unref();
  main().catch(fail);
}

/** Rejects when `promise` has not settled within `ms`, naming what it was waiting for. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = 3_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A labelled assertion still says what it got (newer Node versions append that themselves). */
function describeFailure(err: unknown): string {
  if (err instanceof AssertionError && /Equal/.test(err.operator) && !err.message.includes('\n')) {
    return `${err.message}: expected ${inspect(err.expected)}, got ${inspect(err.actual)}`;
  }
  if (err instanceof AssertionError) return err.message.trim();
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
