/**
 * A self-contained interactive flamegraph (SVG, no network, no external script): width by
 * weight, stable colours from a hash of the function name, hover for name/total/self/share/
 * calls, click to zoom, a reset button, a search button that highlights matches and shows
 * their share, and an icicle (top-down) option. Frames narrower than half a pixel are merged
 * per parent, so very large profiles stay small. Names come from untrusted modules: each is
 * shortened and its control characters made visible (untrusted-text.ts) before it reaches a
 * label, a tooltip or the embedded data, then XML-escaped in the markup and `\u`-escaped in
 * the script, so the file stays bounded whatever a module calls its functions. Frames are the
 * tree's nodes, so two functions with one name stay two frames; the tooltip gives the index.
 */
import { guestText } from '../../untrusted-text.js';
import type { CallTree, CallTreeNode } from '../model/call-tree.js';

export interface FlamegraphOptions {
  readonly title?: string;
  /** Top-down (icicle) instead of bottom-up (flame). @default false */
  readonly icicle?: boolean;
  /** @default 1200 */
  readonly width?: number;
  /** Frames narrower than this many pixels are merged. @default 0.5 */
  readonly minFramePx?: number;
}

interface Frame {
  /** As shown: shortened, control characters escaped (not yet XML-escaped). */
  readonly name: string;
  readonly functionIndex: number | undefined;
  readonly depth: number;
  /** Offset and width in weight units. */
  readonly start: number;
  readonly width: number;
  readonly self: number;
  readonly calls: number;
  readonly merged: number;
}

const ROW = 17;
const TOP = 48;

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
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function hue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296;
}

function colour(name: string): string {
  const v = hue(name);
  // warm flame palette: red to yellow
  return `rgb(${205 + Math.round(50 * v)},${Math.round(80 + 150 * ((v * 7) % 1))},${Math.round(55 * ((v * 13) % 1))})`;
}

export function layoutFrames(tree: CallTree, minWeight: number): Frame[] {
  const frames: Frame[] = [];
  // Deep trees repeat names on every path: shorten each distinct name once.
  const names = new Map<string, string>();
  const shown = (name: string): string => {
    let text = names.get(name);
    if (text === undefined) names.set(name, (text = guestText(name)));
    return text;
  };
  const place = (node: CallTreeNode, depth: number, start: number): void => {
    let cursor = start;
    let merged: { start: number; width: number; count: number } | undefined;
    const flush = (): void => {
      if (merged === undefined) return;
      frames.push({ name: `(${merged.count} narrow frames)`, functionIndex: undefined, depth, start: merged.start, width: merged.width, self: 0, calls: 0, merged: merged.count });
      merged = undefined;
    };
    for (const child of node.children) {
      if (child.total <= 0) continue;
      if (child.total < minWeight) {
        merged ??= { start: cursor, width: 0, count: 0 };
        merged.width += child.total;
        merged.count++;
      } else {
        flush();
        frames.push({ name: shown(child.name), functionIndex: child.functionIndex, depth, start: cursor, width: child.total, self: child.self, calls: child.calls, merged: 0 });
        place(child, depth + 1, cursor);
      }
      cursor += child.total;
    }
    flush();
  };
  place(tree.root, 0, 0);
  return frames;
}

export function renderFlamegraph(tree: CallTree, options: FlamegraphOptions = {}): string {
  const width = options.width ?? 1200;
  const total = tree.root.total;
  const scale = total > 0 ? (width - 20) / total : 0;
  const frames = layoutFrames(tree, total > 0 ? (options.minFramePx ?? 0.5) / scale : Infinity);
  const depth = frames.reduce((d, f) => Math.max(d, f.depth + 1), 0);
  const height = TOP + depth * ROW + 40;
  const icicle = options.icicle === true;
  const title = escapeXml(guestText(options.title ?? `Guest profile (${tree.mode}, ${tree.unit})`));
  const unit = tree.unit === 'nanoseconds' ? 'ns' : tree.unit;
  const y = (d: number): number => (icicle ? TOP + d * ROW : height - 40 - (d + 1) * ROW);

  const rects = frames
    .map((f, i) => {
      const x = 10 + f.start * scale;
      const w = Math.max(0.1, f.width * scale);
      const label = w > 30 ? escapeXml(f.name.length * 7 > w ? f.name.slice(0, Math.max(0, Math.floor(w / 7) - 2)) + '..' : f.name) : '';
      return (
        `<g class="f" data-i="${i}"><title>${escapeXml(f.name)}${f.functionIndex === undefined ? '' : ` (func[${f.functionIndex}])`}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y(f.depth)}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${f.merged > 0 ? '#ccc' : colour(f.name)}" rx="2"/>` +
        `<text x="${(x + 3).toFixed(2)}" y="${y(f.depth) + 12}">${label}</text></g>`
      );
    })
    .join('\n');

  const data = frames.map((f) => [f.name, f.depth, f.start, f.width, f.self, f.calls, f.functionIndex ?? -1]);
  const notes = tree.notes.map((n) => `<text x="10" y="${height - 8}" class="note">${escapeXml(n)}</text>`).slice(0, 1).join('');
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<style>
text { font: 12px Verdana, sans-serif; fill: #000; pointer-events: none; }
.title { font-size: 17px; text-anchor: middle; }
.note, #details, #matched { font-size: 12px; fill: #444; }
.button { cursor: pointer; fill: #2a5db0; pointer-events: all; }
.f:hover rect { stroke: #000; stroke-width: 0.5; }
.f { cursor: pointer; }
</style>
<rect x="0" y="0" width="${width}" height="${height}" fill="#fafaf7"/>
<text x="${width / 2}" y="24" class="title">${title}</text>
<text id="reset" x="10" y="24" class="button">Reset zoom</text>
<text id="search" x="${width - 110}" y="24" class="button">Search</text>
<text id="matched" x="${width - 210}" y="${height - 24}"></text>
<text id="details" x="10" y="${height - 24}"> </text>
${notes}
<g id="frames">
${rects}
</g>
<script type="text/ecmascript"><![CDATA[
(function () {
  var frames = ${scriptSafeJson(data)};
  var total = ${total}, width = ${width}, unit = ${scriptSafeJson(unit)};
  var groups = document.querySelectorAll('#frames .f');
  var details = document.getElementById('details'), matched = document.getElementById('matched');
  var view = [0, total];
  function fmt(v) { return v >= 1e9 ? (v / 1e9).toFixed(2) + 'G' : v >= 1e6 ? (v / 1e6).toFixed(2) + 'M' : v >= 1e3 ? (v / 1e3).toFixed(1) + 'k' : String(Math.round(v)); }
  function draw() {
    var span = view[1] - view[0], k = (width - 20) / span;
    for (var i = 0; i < groups.length; i++) {
      var f = frames[i], g = groups[i], r = g.querySelector('rect'), t = g.querySelector('text');
      var x0 = f[2], x1 = f[2] + f[3];
      if (x1 <= view[0] || x0 >= view[1]) { g.setAttribute('display', 'none'); continue; }
      g.removeAttribute('display');
      var x = 10 + (Math.max(x0, view[0]) - view[0]) * k, w = (Math.min(x1, view[1]) - Math.max(x0, view[0])) * k;
      r.setAttribute('x', x); r.setAttribute('width', Math.max(0.1, w));
      t.setAttribute('x', x + 3);
      var name = f[0], fit = Math.floor(w / 7);
      t.textContent = w < 30 ? '' : (name.length > fit ? name.slice(0, Math.max(0, fit - 2)) + '..' : name);
    }
  }
  for (var i = 0; i < groups.length; i++) (function (i) {
    var f = frames[i];
    groups[i].addEventListener('mouseover', function () {
      details.textContent = f[0] + (f[6] >= 0 ? ' (func[' + f[6] + '])' : '') + ' — total ' + fmt(f[3]) + ' ' + unit + ' (' + (100 * f[3] / total).toFixed(2) + '%), self ' + fmt(f[4]) + ', calls ' + f[5];
    });
    groups[i].addEventListener('mouseout', function () { details.textContent = ' '; });
    groups[i].addEventListener('click', function () { view = [f[2], f[2] + f[3]]; draw(); });
  })(i);
  document.getElementById('reset').addEventListener('click', function () { view = [0, total]; draw(); });
  document.getElementById('search').addEventListener('click', function () {
    var term = prompt('Search (regular expression)', '');
    var share = 0, re = null;
    try { re = term ? new RegExp(term) : null; } catch (e) { re = null; }
    var covered = -1;
    for (var i = 0; i < groups.length; i++) {
      var f = frames[i], hit = re !== null && re.test(f[0]);
      groups[i].querySelector('rect').style.fill = hit ? '#e040fb' : '';
      // count a match once, not again for matches nested inside it
      if (hit && f[2] >= covered) { share += f[3]; covered = f[2] + f[3]; }
    }
    matched.textContent = re === null ? '' : 'Matched: ' + (100 * share / total).toFixed(1) + '%';
  });
})();
]]></script>
</svg>
`;
}
