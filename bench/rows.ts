/** One line of the bench's summary table: a figure, the floor measured in the same run, and its target. */
export interface Row {
  measure: string;
  ours: string;
  floor: string;
  ratio: string;
  target: string;
  /** null: a figure shown for context, with no target of its own. */
  pass: boolean | null;
}

export function row(measure: string, ours: string, floor: string, ratio: number | string, target: string, pass: boolean | null): Row {
  return { measure, ours, floor, ratio: typeof ratio === 'number' ? `${ratio}×` : ratio, target, pass };
}

/** The rows as the README's performance table (Markdown). */
export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| measure | ours | floor (same run) | ratio | target | result |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.measure} | ${r.ours} | ${r.floor} | ${r.ratio} | ${r.target} | ${r.pass === null ? '—' : r.pass ? 'PASS' : 'FAIL'} |`);
  return lines.join('\n');
}
