/**
 * The interactive SVG both flamegraphs are drawn as (the profile's and the differential one):
 * self-contained (no network, no external script), usable as a file of its own and inline in
 * an HTML page under a Content-Security-Policy — its code is one `<script>` element (hash the
 * text inside its CDATA section), it has no event-handler attributes and no style attributes,
 * its CSS is scoped to `svg.wsfg`, and it finds its elements by class inside its own `<svg>`,
 * so two flamegraphs can share a page.
 *
 * Interaction, as flamegraph.pl has it: hover shows a frame's details (and the native tooltip
 * the same); click zooms into a frame, its ancestors stay drawn but faded, and "Reset zoom"
 * appears; frames narrower than `minFramePx` at the current zoom are merged per parent into
 * one grey "(N narrow frames)" box, laid out again at each zoom, so zooming in shows what was
 * merged (and clicking a merged box zooms into its span); "Search" (or Ctrl-F / F3 while the
 * pointer is over the graph, or in a standalone file) highlights frames whose name matches a
 * regular expression and shows their share (of the profile and of the zoom), "ic" (or Ctrl-I)
 * toggles ignoring case, "Reset search" clears it, and cancelling the prompt keeps what was
 * highlighted.
 *
 * Bounded whatever the profile: at most `maxFrames` frames are embedded (the widest; a
 * parent is never narrower than its child, so the kept ones form a tree), the others become
 * merged entries that say how many frames they stand for. Names are guest text: shortened
 * and their control characters made visible (untrusted-text.ts), then XML-escaped in the
 * markup and `\u`-escaped in the script's data.
 */
import { guestText } from '../../untrusted-text.js';
import type { WeightUnit } from '../model/call-tree.js';
import { FLAME_CLIENT_JS, FLAME_CORE_JS, flameCore, type FlameBox } from './flame-core.js';

/**
 * The caller's tree, read in place (a profile may have 50,000 frames; only the kept ones are
 * looked at closely): each frame's children, width, name, colour and tooltip values.
 */
export interface FlameSource<T> {
  readonly roots: readonly T[];
  children(frame: T): readonly T[];
  /** Weight the frame's width stands for (its subtree's). */
  width(frame: T): number;
  /** As the module gives it (guest text); shortened and escaped here. */
  name(frame: T): string;
  functionIndex(frame: T): number | undefined;
  fill(frame: T): string;
  /** What the tooltip shows: see FLAME_CORE_JS (by kind). */
  values(frame: T): readonly number[];
}

export interface FlameSvgInput<T> {
  readonly kind: 'profile' | 'diff';
  readonly source: FlameSource<T>;
  readonly unit: WeightUnit;
  /** ns per sample, for `samples`: tooltips add the time it stands for. */
  readonly sampleIntervalNs?: number | undefined;
  readonly title: string;
  /** Lines under the graph (measurement notes, a legend). */
  readonly notes: readonly string[];
  readonly icicle: boolean;
  readonly width: number;
  readonly minFramePx: number;
  readonly maxFrames: number;
}

/** Defaults both flamegraphs share, written once (used by the code, the TSDoc and the docs). */
export const FLAME_DEFAULTS = {
  width: 1200,
  /** flamegraph.pl's `--minwidth` default. */
  minFramePx: 0.1,
  /** Keeps a file with 50,000 distinct functions around 2 MB. */
  maxFrames: 20_000,
} as const;

const TOP = 48;
const ROW = 17;
const NOTE_ROW = 15;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!).replace(
    // XML 1.0 forbids most control characters even escaped, and unpaired surrogates cannot be
    // written at all: show them as \xNN / \uNNNN.
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}

/** JSON that cannot end a script element or CDATA section, whatever the names contain. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A flamegraph (or differential flamegraph) SVG as an HTML page takes it, and what its CSP must allow. */
export interface InlineFlamegraph {
  /** The `<svg>` element, without the XML declaration. */
  readonly markup: string;
  /** The text of its one script (inside the CDATA section): hash it for `script-src`. */
  readonly script: string;
  /** The text of its one style element: hash it for `style-src` (the same for every flamegraph). */
  readonly style: string;
}

/** Splits a file from renderFlamegraph / renderDiffFlamegraph into what an HTML page embeds and hashes. */
export function inlineFlamegraph(svg: string): InlineFlamegraph {
  const script = /<script type="text\/ecmascript"><!\[CDATA\[([\s\S]*?)\]\]><\/script>/.exec(svg)?.[1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(svg)?.[1];
  if (script === undefined || style === undefined || !svg.startsWith('<?xml')) throw new RangeError('not a flamegraph written by renderFlamegraph or renderDiffFlamegraph');
  return { markup: svg.slice(svg.indexOf('<svg')), script, style };
}

function fnv1a(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

interface FlameData {
  kind: FlameSvgInput<unknown>['kind'];
  unit: WeightUnit;
  interval: number;
  total: number;
  width: number;
  minPx: number;
  icicle: boolean;
  top: number;
  base: number;
  names: string[];
  fills: string[];
  frames: number[][];
}

/**
 * The embedded frames: the widest `maxFrames` (ties: the earlier in preorder, so a parent is
 * always kept before its equally wide child and the kept frames form a tree), the others
 * merged per run of siblings into entries that count them.
 */
function flatten<T>(src: FlameSource<T>, maxFrames: number): { names: string[]; fills: string[]; frames: number[][]; total: number } {
  const widths: number[] = [];
  const measure = (nodes: readonly T[]): void => {
    for (const node of nodes) {
      const w = src.width(node);
      if (!(w > 0)) continue;
      widths.push(w);
      measure(src.children(node));
    }
  };
  measure(src.roots);
  let threshold = -Infinity;
  let tieBudget = Infinity;
  if (widths.length > maxFrames) {
    const sorted = Float64Array.from(widths).sort();
    threshold = sorted[widths.length - maxFrames]!;
    tieBudget = maxFrames - widths.filter((w) => w > threshold).length;
  }
  // Visited in preorder, so ties spend the budget parents first.
  const keep = (w: number): boolean => w > threshold || (w === threshold && tieBudget-- > 0);
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const fills: string[] = [];
  const fillIndex = new Map<string, number>();
  const indexOf = (map: Map<string, number>, list: string[], value: string): number => {
    let i = map.get(value);
    if (i === undefined) map.set(value, (i = list.push(value) - 1));
    return i;
  };
  const shown = new Map<string, string>();
  const frames: number[][] = [];
  let total = 0;
  const place = (nodes: readonly T[], depth: number, start: number): void => {
    let cursor = start;
    let rest: number[] | undefined;
    for (const node of nodes) {
      const w = src.width(node);
      if (!(w > 0)) continue;
      if (!keep(w)) {
        if (rest === undefined) frames.push((rest = [-1, depth, cursor, 0, -1, -1, 0]));
        rest[3]! += w;
        rest[6]! += 1;
      } else {
        rest = undefined;
        const name = src.name(node);
        let text = shown.get(name);
        if (text === undefined) shown.set(name, (text = guestText(name)));
        const frame = [indexOf(nameIndex, names, text), depth, cursor, w, indexOf(fillIndex, fills, src.fill(node)), src.functionIndex(node) ?? -1, 0];
        for (const v of src.values(node)) frame.push(v);
        frames.push(frame);
        place(src.children(node), depth + 1, cursor);
      }
      cursor += w;
    }
    if (depth === 0) total = cursor - start;
  };
  place(src.roots, 0, 0);
  return { names, fills, frames, total };
}

function boxMarkup(data: FlameData, box: FlameBox, index: number): string {
  const c = flameCore();
  const y = c.boxY(data, box);
  return (
    `<g class="${c.boxClass(box)}" data-b="${index}"><title>${escapeXml(c.boxTitle(data, box))}</title>` +
    `<rect x="${box[3].toFixed(2)}" y="${y}" width="${box[4].toFixed(2)}" height="${ROW - 1}" fill="${c.boxFill(data, box, false)}" rx="2"/>` +
    `<text x="${(box[3] + 3).toFixed(2)}" y="${y + 12}">${escapeXml(c.boxLabel(data, box))}</text></g>`
  );
}

export function renderFlameSvg<T>(input: FlameSvgInput<T>): string {
  const { width, icicle } = input;
  const { names, fills, frames, total } = flatten(input.source, input.maxFrames);
  const depth = frames.reduce((d, f) => Math.max(d, f[1]! + 1), 0);
  const notes = input.notes.map((n) => guestText(n, 400));
  const graphBottom = TOP + depth * ROW;
  const height = graphBottom + 34 + notes.length * NOTE_ROW;
  const data: FlameData = {
    kind: input.kind,
    unit: input.unit,
    interval: input.sampleIntervalNs ?? 0,
    total,
    width,
    minPx: input.minFramePx,
    icicle,
    top: TOP,
    base: graphBottom,
    names,
    fills,
    frames,
  };
  const json = scriptSafeJson(data);
  const id = fnv1a(json + input.title);
  const core = flameCore();
  core.prepare(data);
  const boxes = total > 0 ? core.layout(data, { start: 0, end: total, depth: 0 }) : [];
  const script = `(function () {\n${FLAME_CORE_JS}\nvar D = ${json}, ID = '${id}';\n${FLAME_CLIENT_JS}})();`;
  // The title sits between the buttons: shortened to fit (≈ 9.5 px a character at 17 px), whole in its tooltip.
  const fullTitle = guestText(input.title);
  const fit = Math.max(10, Math.floor((width - 540) / 9.5));
  const points = [...fullTitle];
  const title = points.length > fit ? `${escapeXml(points.slice(0, fit - 2).join(''))}..<title>${escapeXml(fullTitle)}</title>` : escapeXml(fullTitle);
  const noteLines = notes.map((n, i) => `<text x="10" y="${graphBottom + 42 + i * NOTE_ROW}" class="note">${escapeXml(n)}</text>`).join('\n');
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" class="wsfg" data-flame="${id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<style>
.wsfg text { font: 12px Verdana, sans-serif; fill: #000; }
.wsfg .f text { pointer-events: none; }
.wsfg .title { font-size: 17px; text-anchor: middle; }
.wsfg .note, .wsfg .details, .wsfg .matched { fill: #444; }
.wsfg .matched { text-anchor: end; }
.wsfg .button { cursor: pointer; fill: #2a5db0; }
.wsfg .button.on { font-weight: bold; fill: #b02a8f; }
.wsfg .hide { display: none; }
.wsfg .f { cursor: pointer; }
.wsfg .f:hover rect { stroke: #000; stroke-width: 0.5; }
.wsfg .a rect { opacity: 0.5; }
</style>
<rect x="0" y="0" width="${width}" height="${height}" fill="#fafaf7"/>
<text x="${width / 2}" y="24" class="title">${title}</text>
<text x="10" y="24" class="button reset-zoom hide">Reset zoom</text>
<text x="${width - 250}" y="24" class="button reset-search hide">Reset search</text>
<text x="${width - 130}" y="24" class="button search">Search</text>
<text x="${width - 40}" y="24" class="button case"><title>ignore case when searching</title>ic</text>
<text x="10" y="${graphBottom + 22}" class="details"> </text>
<text x="${width - 10}" y="${graphBottom + 22}" class="matched"></text>
${noteLines}
<g class="frames">
${boxes.map((b, i) => boxMarkup(data, b, i)).join('\n')}
</g>
<script type="text/ecmascript"><![CDATA[
${script}
]]></script>
</svg>
`;
}
