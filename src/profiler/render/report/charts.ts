/**
 * Static SVG charts drawn on the server side of the page (no script needed to see them):
 * HdrHistogram's percentile distribution plot — latency against percentile on the usual
 * 1/(1−q) axis, so the tail gets the room — and a line chart for memory over calls. Only
 * presentation attributes are used (no style attributes), which the page's
 * Content-Security-Policy allows.
 */
import { decodeLatencyHistogram, type LatencySummary } from '../../build/latency-histogram.js';
import { formatBytes, formatNs } from '../terminal-text.js';
import { name, text } from './html-text.js';

export interface Series {
  readonly label: string;
  /** [x, y] in data units, x increasing. */
  readonly points: readonly (readonly [number, number])[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'] as const;

const W = 640;
const H = 260;
const LEFT = 70;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 40;

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  readonly ticks: readonly { readonly at: number; readonly label: string }[];
}

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const f = (v: number): number => (axis.log ? Math.log10(Math.max(v, axis.min)) : v);
  const [a, b] = [f(axis.min), f(axis.max)];
  return (v) => (b === a ? (from + to) / 2 : from + ((f(v) - a) / (b - a)) * (to - from));
}

/** Ticks at 1, 2, 5 × 10^k on a log axis (1 and 10 only when that would crowd it). */
function logTicks(min: number, max: number, label: (v: number) => string): Axis['ticks'] {
  const ticks: { at: number; label: string }[] = [];
  const decades = Math.log10(max / min);
  const steps = decades > 4 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const s of steps) {
      const v = s * 10 ** e;
      if (v >= min && v <= max) ticks.push({ at: v, label: label(v) });
    }
  }
  return ticks;
}

function linearTicks(min: number, max: number, label: (v: number) => string): Axis['ticks'] {
  const span = max - min || 1;
  const step0 = 10 ** Math.floor(Math.log10(span / 5));
  const step = [1, 2, 5, 10].map((k) => k * step0).find((s) => span / s <= 6) ?? step0 * 10;
  const ticks: { at: number; label: string }[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push({ at: v, label: label(v) });
  return ticks;
}

export function lineChart(options: {
  readonly id: string;
  readonly title: string;
  readonly series: readonly Series[];
  readonly x: Axis;
  readonly y: Axis;
  readonly xLabel: string;
}): string {
  const { x, y } = options;
  const sx = scale(x, LEFT, W - RIGHT);
  const sy = scale(y, H - BOTTOM, TOP);
  const grid = [
    ...y.ticks.map((t) => `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${sy(t.at).toFixed(1)}" y2="${sy(t.at).toFixed(1)}" class="grid"/><text x="${LEFT - 6}" y="${(sy(t.at) + 4).toFixed(1)}" text-anchor="end">${text(t.label)}</text>`),
    ...x.ticks.map((t) => `<line y1="${TOP}" y2="${H - BOTTOM}" x1="${sx(t.at).toFixed(1)}" x2="${sx(t.at).toFixed(1)}" class="grid"/><text x="${sx(t.at).toFixed(1)}" y="${H - BOTTOM + 16}" text-anchor="middle">${text(t.label)}</text>`),
  ].join('');
  const lines = options.series
    .map((s, i) => {
      const points = s.points.map(([px, py]) => `${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join(' ');
      return `<polyline points="${points}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"><title>${name(s.label)}</title></polyline>`;
    })
    .join('');
  const legend = options.series
    .map((s, i) => `<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/></svg> ${name(s.label)}</li>`)
    .join('');
  return (
    `<figure class="chart" id="${options.id}"><svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${text(options.title)}">` +
    `<rect x="${LEFT}" y="${TOP}" width="${W - LEFT - RIGHT}" height="${H - TOP - BOTTOM}" class="frame"/>${grid}${lines}` +
    `<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 6}" text-anchor="middle" class="axis">${text(options.xLabel)}</text></svg>` +
    `<figcaption>${text(options.title)}<ul class="legend">${legend}</ul></figcaption></figure>`
  );
}

/** Percentiles the plot samples: 0, 50, 75, 87.5 … (halving the rest each step), then 100. */
function plotPercentiles(count: number): number[] {
  const out = [0];
  // Past 1/count of the calls the curve says nothing new: stop where one call remains.
  for (let rest = 0.5; rest * count >= 1 && rest > 1e-6; rest /= Math.SQRT2) out.push(100 * (1 - rest));
  out.push(100);
  return out;
}

/** One line per latency summary: its HdrHistogram, decoded, sampled along the percentile axis. */
export function percentileChart(id: string, title: string, summaries: readonly { readonly label: string; readonly latency: LatencySummary }[]): string {
  const shown = summaries.filter((s) => s.latency.count > 0 && s.latency.histogram !== '');
  if (shown.length === 0) return `<p class="empty">No timed calls: nothing to plot.</p>`;
  let lastX = 1;
  const series: Series[] = shown.map((s) => {
    const histogram = decodeLatencyHistogram(s.latency.histogram);
    try {
      const ps = plotPercentiles(histogram.totalCount);
      // x = 1/(1−q); the maximum (q = 1) is drawn one step past the last sampled percentile.
      const xs = ps.map((p) => (p < 100 ? 1 / (1 - p / 100) : 0));
      xs[xs.length - 1] = (xs[xs.length - 2] ?? 1) * Math.SQRT2;
      lastX = Math.max(lastX, xs[xs.length - 1]!);
      return { label: s.label, points: ps.map((p, i) => [xs[i]!, Math.max(1, histogram.getValueAtPercentile(p))] as const) };
    } finally {
      histogram.destroy();
    }
  });
  const ys = series.flatMap((s) => s.points.map(([, v]) => v));
  const [minY, maxY] = [Math.min(...ys), Math.max(...ys)];
  const yMin = 10 ** Math.floor(Math.log10(minY));
  const yMax = 10 ** Math.ceil(Math.log10(maxY * 1.0001));
  const xTicks = [1, 2, 10, 100, 1000, 10000, 100000]
    .filter((v) => v <= lastX)
    .map((v) => ({ at: v, label: `${Number((100 * (1 - 1 / v)).toFixed(3))} %` }));
  return lineChart({
    id,
    title,
    series,
    x: { min: 1, max: lastX, log: true, ticks: xTicks },
    y: { min: yMin, max: yMax, log: true, ticks: logTicks(yMin, yMax, formatNs) },
    xLabel: 'percentile (HdrHistogram 1/(1−q) axis; the rightmost point is the maximum)',
  });
}

/** Bytes over call number, one line per series (linear memory, live heap). */
export function bytesOverCallsChart(id: string, title: string, series: readonly Series[]): string {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  if (xs.length === 0) return `<p class="empty">No calls recorded: nothing to plot.</p>`;
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = Math.max(1, ...ys) * 1.05;
  return lineChart({
    id,
    title,
    series,
    x: { min: xMin, max: Math.max(xMax, xMin + 1), log: false, ticks: linearTicks(xMin, Math.max(xMax, xMin + 1), (v) => String(Math.round(v))) },
    y: { min: 0, max: yMax, log: false, ticks: linearTicks(0, yMax, formatBytes) },
    xLabel: 'host call, in order',
  });
}

/** One horizontal bar split into labelled parts (the cold start). */
export function stackedBar(id: string, parts: readonly { readonly label: string; readonly value: number }[], format: (v: number) => string): string {
  const total = parts.reduce((n, p) => n + p.value, 0);
  const width = W;
  let x = 0;
  const rects = parts
    .filter((p) => p.value > 0)
    .map((p, i) => {
      const w = total > 0 ? (p.value / total) * width : 0;
      const out = `<rect x="${x.toFixed(1)}" y="0" width="${Math.max(0.5, w).toFixed(1)}" height="24" fill="${PALETTE[i % PALETTE.length]}"><title>${text(`${p.label}: ${format(p.value)}`)}</title></rect>` +
        (w > 60 ? `<text x="${(x + 4).toFixed(1)}" y="16" class="on-bar">${text(p.label)}</text>` : '');
      x += w;
      return out;
    })
    .join('');
  return `<svg id="${id}" class="bar" viewBox="0 0 ${width} 24" width="${width}" height="24" role="img" aria-label="${text(parts.map((p) => `${p.label} ${format(p.value)}`).join(', '))}">${rects}</svg>`;
}
