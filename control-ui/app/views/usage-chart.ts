import { h } from '../dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const BAR = 10;
const GAP = 2;
const HEIGHT = 100;

export interface DayValue {
  date: string;
  value: number;
  /** What a bar's tooltip says, e.g. `2026-03-01: 1,200 tokens, $0.02`. */
  label: string;
}

/**
 * A bar per day, drawn as inline SVG (no chart library: this is all the view needs). The SVG is
 * one image to assistive tech, named with its range and peak; the table next to it has every value.
 */
export function dailyBarChart(caption: string, days: DayValue[]): HTMLElement {
  const max = Math.max(0, ...days.map((d) => d.value));
  const width = Math.max(1, days.length * (BAR + GAP) - GAP);
  const peak = days.find((d) => d.value === max && max > 0);
  const svg = svgEl('svg', {
    class: 'usage-chart',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': peak ? `${caption}: ${days[0]!.date} to ${days.at(-1)!.date}, highest ${peak.label}` : `${caption}: nothing recorded from ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''}`,
  });
  svg.append(svgEl('line', { x1: 0, y1: HEIGHT - 0.5, x2: width, y2: HEIGHT - 0.5, class: 'usage-axis' }));
  days.forEach((day, i) => {
    if (day.value <= 0) return;
    const height = Math.max(1, (day.value / max) * (HEIGHT - 4));
    const bar = svgEl('rect', { x: i * (BAR + GAP), y: HEIGHT - height, width: BAR, height, class: 'usage-bar', 'data-date': day.date });
    const title = svgEl('title', {});
    title.textContent = day.label;
    bar.append(title);
    svg.append(bar);
  });
  return h(
    'figure',
    { class: 'usage-figure' },
    svg,
    h('figcaption', { class: 'usage-scale muted' }, h('span', {}, days[0]?.date ?? ''), h('span', {}, caption), h('span', {}, days.at(-1)?.date ?? '')),
  );
}

/** A small bar for a table cell: `share` (0–1) of the largest value in the table. Decoration: the number is in the cell. */
export function shareBar(share: number): SVGElement {
  const svg = svgEl('svg', { class: 'usage-share', viewBox: '0 0 100 6', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' });
  svg.append(svgEl('rect', { x: 0, y: 0, width: Math.max(0, Math.min(1, share)) * 100, height: 6, class: 'usage-bar' }));
  return svg;
}

function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}
