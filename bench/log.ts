/** Progress goes to stderr; stdout carries only the final JSON document. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what timed out after Nms` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** LIFO list of teardown steps; every step runs even if an earlier one fails. */
export class Cleanup {
  readonly #steps: Array<{ what: string; run: () => unknown }> = [];

  add(what: string, run: () => unknown): void {
    this.#steps.push({ what, run });
  }

  async run(timeoutMs = 10_000): Promise<string[]> {
    const problems: string[] = [];
    while (this.#steps.length) {
      const step = this.#steps.pop()!;
      try {
        await withTimeout(Promise.resolve().then(step.run), timeoutMs, `cleanup ${step.what}`);
      } catch (err) {
        problems.push(`${step.what}: ${errorText(err)}`);
      }
    }
    return problems;
  }
}
