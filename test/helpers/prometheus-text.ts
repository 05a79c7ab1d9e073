/**
 * A parser of the Prometheus text exposition format (version 0.0.4), strict enough to fail a test
 * on output a Prometheus server would refuse: `# HELP` / `# TYPE` lines, samples with escaped
 * label values, and the `+Inf`, `-Inf` and `NaN` values (any letter case, as Prometheus reads them).
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  samples: PromSample[];
}

export class PromScrape {
  readonly families = new Map<string, PromFamily>();

  /** The family a sample belongs to (`x_bucket`, `x_sum`, `x_count` belong to histogram `x`). */
  family(name: string): PromFamily | undefined {
    return this.families.get(name);
  }

  /** Every sample of that exact name whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): PromSample[] {
    const out: PromSample[] = [];
    for (const family of this.families.values()) {
      for (const s of family.samples) {
        if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) out.push(s);
      }
    }
    return out;
  }

  /** The value of the one sample with that name and labels; 0 when there is none (a counter not moved yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    const found = this.samples(name, labels);
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
    return found[0]?.value ?? 0;
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): PromScrape {
  const scrape = new PromScrape();
  const lines = text.split('\n');
  let current: PromFamily | undefined;
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!match) return;
      const [, kind, name, rest = ''] = match;
      if (!NAME.test(name!)) throw new Error(`${where}: bad metric name ${name}`);
      let family = scrape.families.get(name!);
      if (!family) {
        family = { name: name!, type: 'untyped', help: '', samples: [] };
        scrape.families.set(name!, family);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: bad type ${rest}`);
        family.type = rest;
      } else {
        family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      current = family;
      return;
    }
    const sample = parseSample(line, where);
    const family = current && belongsTo(sample.name, current) ? current : undefined;
    if (!family) throw new Error(`${where}: sample ${sample.name} outside its family`);
    family.samples.push(sample);
  });
  return scrape;
}

function belongsTo(name: string, family: PromFamily): boolean {
  if (name === family.name) return true;
  if (family.type === 'histogram') return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name);
  if (family.type === 'summary') return [`${family.name}_sum`, `${family.name}_count`].includes(name);
  return false;
}

function parseSample(line: string, where: string): PromSample {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`${where}: bad sample name ${JSON.stringify(name)}`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new Error(`${where}: label without value`);
      const label = line.slice(i, eq).trim();
      if (!LABEL.test(label)) throw new Error(`${where}: bad label name ${label}`);
      if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] !== '\\') {
          value += line[j];
          continue;
        }
        const next = line[++j];
        value += next === 'n' ? '\n' : next;
      }
      if (j >= line.length) throw new Error(`${where}: unterminated label value`);
      if (label in labels) throw new Error(`${where}: label ${label} repeated`);
      labels[label] = value;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`${where}: expected , or } after a label`);
    }
    i++;
  }
  const [raw, timestamp, ...extra] = line.slice(i).trim().split(/\s+/);
  if (!raw || extra.length || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`${where}: bad value part ${JSON.stringify(line.slice(i))}`);
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any letter case (prom-client writes `Nan`).
  const special = raw.toLowerCase();
  const value = special === '+inf' || special === 'inf' ? Infinity : special === '-inf' ? -Infinity : special === 'nan' ? NaN : Number(raw);
  if (Number.isNaN(value) && special !== 'nan') throw new Error(`${where}: bad value ${raw}`);
  return { name, labels, value };
}
