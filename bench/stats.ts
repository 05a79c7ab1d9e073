/** Percentiles and a compact summary of latency samples. */

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[], digits = 1): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: round(sorted[0] ?? NaN, digits),
    p50: round(percentile(sorted, 50), digits),
    p90: round(percentile(sorted, 90), digits),
    p99: round(percentile(sorted, 99), digits),
    max: round(sorted[sorted.length - 1] ?? NaN, digits),
    mean: round(mean, digits),
  };
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function ratio(a: number, b: number, digits = 2): number {
  return b > 0 ? round(a / b, digits) : NaN;
}

/** Least-squares line through the points: its slope (NaN without spread in x) and that slope's standard error. */
export function linearTrend(points: ReadonlyArray<readonly [number, number]>): { slope: number; stderr: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx ? sxy / sxx : NaN;
  const residual = points.reduce((s, [x, y]) => s + (y - (my + slope * (x - mx))) ** 2, 0);
  return { slope, stderr: n > 2 && sxx ? Math.sqrt(residual / (n - 2) / sxx) : NaN };
}
