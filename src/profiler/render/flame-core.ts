/**
 * The code a flamegraph's page runs, as one JavaScript source: how frames are laid out for a
 * zoom (which are drawn, which are faded as ancestors, which narrow ones are merged into one
 * box) and what their tooltips say. The SVG writer runs this same source in Node to draw the
 * first view, and embeds it in the file's one script to draw every later view, so the file
 * as written and the file after a zoom and a reset agree to the character.
 *
 * Frame entries (`D.frames`, preorder): [name index, depth, start, width, fill index,
 * function index or -1, hidden (0, or how many frames a merged-at-write-time entry stands
 * for), ...values]. Values are, for `kind: 'profile'`, [self, calls or -1 when unknown]; for
 * `kind: 'diff'`, [self after, self before, total after, total before].
 * A box (what is drawn): [type (0 frame, 1 merged run), first entry, last entry, x, width px,
 * depth, faded (1 for an ancestor of the zoomed frame), frames in the run].
 */
export const FLAME_CORE_JS = String.raw`
var ROW = 17;
function prepare(D) {
  var n = D.frames.length, next = new Array(n), open = [];
  for (var i = 0; i < n; i++) {
    while (open.length > 0 && D.frames[open[open.length - 1]][1] >= D.frames[i][1]) next[open.pop()] = i;
    open.push(i);
  }
  while (open.length > 0) next[open.pop()] = n;
  D.next = next;
}
function fmtNs(ns) {
  if (!isFinite(ns)) return '—';
  if (ns < 1000) return ns.toFixed(0) + ' ns';
  if (ns < 1000000) return (ns / 1000).toFixed(ns < 10000 ? 2 : 1) + ' µs';
  if (ns < 1000000000) return (ns / 1000000).toFixed(ns < 10000000 ? 2 : 1) + ' ms';
  return (ns / 1000000000).toFixed(2) + ' s';
}
function count(v) {
  var r = Math.round(v), s = Math.abs(v - r) < 1e-9 ? String(r) : v.toFixed(1);
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
function weight(D, v) {
  if (D.unit === 'nanoseconds') return fmtNs(v);
  if (D.unit === 'samples') return count(v) + (Math.abs(v - 1) < 1e-9 ? ' sample' : ' samples') + (D.interval > 0 ? ' ≈ ' + fmtNs(v * D.interval) : '');
  return count(v) + (Math.abs(v - 1) < 1e-9 ? ' instruction' : ' instructions');
}
function share(D, v) { return D.total > 0 ? (100 * v / D.total).toFixed(2) + '%' : '—'; }
function signed(D, v) { return (v > 0 ? '+' : v < 0 ? '−' : '±') + weight(D, Math.abs(v)); }
function runName(n) { return '(' + n + ' narrow frame' + (n === 1 ? '' : 's') + ')'; }
function frameLines(D, f) {
  if (D.kind === 'diff') {
    var d = f[7] - f[8];
    var rel = f[8] > 0 ? ' (' + (d >= 0 ? '+' : '−') + (100 * Math.abs(d) / f[8]).toFixed(1) + '%)' : f[7] > 0 ? ' (new)' : '';
    return ['before: total ' + weight(D, f[10]) + ', self ' + weight(D, f[8]), 'after: total ' + weight(D, f[9]) + ', self ' + weight(D, f[7]), 'self change: ' + signed(D, d) + rel];
  }
  return ['total ' + weight(D, f[3]) + ' (' + share(D, f[3]) + ')', 'self ' + weight(D, f[7]) + ' (' + share(D, f[7]) + ')', 'calls ' + (f[8] < 0 ? '—' : count(f[8]))];
}
function boxParts(D, b) {
  var f = D.frames[b[1]];
  if (b[0] === 1 || f[6] > 0) {
    var last = D.frames[b[2]], w = last[2] + last[3] - f[2], dropped = 0;
    for (var i = b[1]; i <= b[2]; i++) dropped += D.frames[i][6];
    return [runName(b[7]), ['total ' + weight(D, w) + ' (' + share(D, w) + ')', dropped === b[7] ? 'too small to keep in this file' : dropped > 0 ? 'click to zoom in (' + dropped + ' too small to keep in this file)' : 'click to zoom in']];
  }
  return [D.names[f[0]] + (f[5] >= 0 ? ' (func[' + f[5] + '])' : ''), frameLines(D, f)];
}
function boxTitle(D, b) { var p = boxParts(D, b); return p[0] + '\n' + p[1].join('\n'); }
function boxLine(D, b) { var p = boxParts(D, b); return p[0] + ' — ' + p[1].join(', '); }
function boxLabel(D, b) {
  var w = b[4];
  if (w < 30) return '';
  var f = D.frames[b[1]], text = b[0] === 1 || f[6] > 0 ? runName(b[7]) : D.names[f[0]], fit = Math.floor((w - 6) / 7);
  return text.length > fit ? text.slice(0, Math.max(0, fit - 2)) + '..' : text;
}
function boxClass(b) { return 'f' + (b[0] === 1 ? ' m' : '') + (b[6] === 1 ? ' a' : ''); }
function boxFill(D, b, hit) {
  if (hit) return 'rgb(230,0,230)';
  var f = D.frames[b[1]];
  return b[0] === 1 || f[6] > 0 ? '#c8c8c8' : D.fills[f[4]];
}
function boxY(D, b) { return D.icicle ? D.top + b[5] * ROW : D.base - (b[5] + 1) * ROW; }
function layout(D, zoom) {
  var F = D.frames, n = F.length, out = [], next = D.next;
  var span = zoom.end - zoom.start, k = (D.width - 20) / span, eps = span * 1e-9;
  var run = null;
  function flush() {
    if (run === null) return;
    var x0 = Math.max(run.start, zoom.start), x1 = Math.min(run.end, zoom.end);
    out.push([run.real ? 0 : 1, run.first, run.last, 10 + (x0 - zoom.start) * k, Math.max(0.1, (x1 - x0) * k), run.depth, 0, run.count]);
    run = null;
  }
  var i = 0;
  while (i < n) {
    var f = F[i], s = f[2], e = f[2] + f[3], d = f[1];
    if (e <= zoom.start + eps || s >= zoom.end - eps) { flush(); i = next[i]; continue; }
    var ancestor = d < zoom.depth, x0 = Math.max(s, zoom.start), x1 = Math.min(e, zoom.end), w = (x1 - x0) * k;
    if (!ancestor && (f[6] > 0 || w < D.minPx)) {
      var c = f[6] > 0 ? f[6] : 1;
      if (run !== null && run.depth === d) { run.last = i; run.end = e; run.count += c; run.real = false; }
      else { flush(); run = { first: i, last: i, depth: d, start: s, end: e, count: c, real: f[6] === 0 }; }
      i = next[i];
      continue;
    }
    flush();
    out.push([0, i, i, 10 + (x0 - zoom.start) * k, w, d, ancestor ? 1 : 0, 1]);
    i++;
  }
  flush();
  return out;
}
`;

/**
 * The page's own part: finds its `<svg>` (by `data-flame`, the first not yet bound: a page may
 * hold the same graph twice), draws boxes as elements, and wires hover, zoom and search.
 * Runs after FLAME_CORE_JS with `D` (the data) and `ID` defined.
 */
export const FLAME_CLIENT_JS = String.raw`
prepare(D);
var svg = null, all = document.querySelectorAll('svg[data-flame="' + ID + '"]');
for (var q = 0; q < all.length && svg === null; q++) if (!all[q].hasAttribute('data-bound')) svg = all[q];
if (svg === null) return;
svg.setAttribute('data-bound', '');
var NS = 'http://www.w3.org/2000/svg';
function part(name) { return svg.querySelector('.' + name); }
var framesG = part('frames'), details = part('details'), matched = part('matched');
var resetZoom = part('reset-zoom'), searchButton = part('search'), resetSearch = part('reset-search'), caseButton = part('case');
var full = { start: 0, end: D.total, depth: 0 }, zoom = full, boxes = D.total > 0 ? layout(D, zoom) : [];
var term = null, re = null, ignoreCase = false;
function frameMatches(i) { var f = D.frames[i]; return re !== null && f[6] === 0 && re.test(D.names[f[0]]); }
function hit(b) {
  if (re === null) return false;
  if (b[0] === 0) return frameMatches(b[1]);
  for (var i = b[1]; i < D.next[b[2]]; i++) if (frameMatches(i)) return true;
  return false;
}
function make(tag, attrs, text) {
  var e = document.createElementNS(NS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function draw() {
  boxes = layout(D, zoom);
  while (framesG.firstChild) framesG.removeChild(framesG.firstChild);
  for (var n = 0; n < boxes.length; n++) {
    var b = boxes[n], y = boxY(D, b), g = make('g', { 'class': boxClass(b), 'data-b': String(n) });
    g.appendChild(make('title', {}, boxTitle(D, b)));
    g.appendChild(make('rect', { x: b[3].toFixed(2), y: String(y), width: b[4].toFixed(2), height: String(ROW - 1), fill: boxFill(D, b, hit(b)), rx: '2' }));
    g.appendChild(make('text', { x: (b[3] + 3).toFixed(2), y: String(y + 12) }, boxLabel(D, b)));
    framesG.appendChild(g);
  }
  var zoomed = zoom.depth > 0 || zoom.start > 0 || zoom.end < D.total;
  resetZoom.setAttribute('class', 'button reset-zoom' + (zoomed ? '' : ' hide'));
  // Share of the profile (and of the zoomed span) the matches cover; a match inside a match counts once.
  var sum = 0, inView = 0, covered = -Infinity, eps = D.total * 1e-12;
  if (re !== null) for (var i = 0; i < D.frames.length; i++) {
    var f = D.frames[i];
    if (f[2] >= covered - eps && frameMatches(i)) {
      sum += f[3];
      covered = f[2] + f[3];
      inView += Math.max(0, Math.min(covered, zoom.end) - Math.max(f[2], zoom.start));
    }
  }
  var pct = function (v, of) { return (of > 0 ? (100 * v / of).toFixed(1) : '0.0') + '%'; };
  matched.textContent = re === null ? '' : 'Matched: ' + pct(sum, D.total) + (zoomed ? ' (' + pct(inView, zoom.end - zoom.start) + ' of this zoom)' : '');
}
function boxOf(event) {
  var g = event.target && event.target.closest ? event.target.closest('g.f') : null;
  return g === null ? null : boxes[Number(g.getAttribute('data-b'))];
}
framesG.addEventListener('mouseover', function (e) { var b = boxOf(e); if (b) details.textContent = boxLine(D, b); });
framesG.addEventListener('mouseout', function () { details.textContent = ' '; });
framesG.addEventListener('click', function (e) {
  var b = boxOf(e);
  if (!b) return;
  var first = D.frames[b[1]], last = D.frames[b[2]];
  zoom = { start: first[2], end: last[2] + last[3], depth: first[1] };
  draw();
});
resetZoom.addEventListener('click', function () { zoom = full; draw(); });
function setSearch(text) {
  term = text === null || text === '' ? null : text;
  re = null;
  if (term !== null) {
    try { re = new RegExp(term, ignoreCase ? 'i' : ''); }
    catch (err) { re = new RegExp(term.replace(/[.*+?^$\{\}()|[\]\\]/g, '\\$&'), ignoreCase ? 'i' : ''); }
  }
  resetSearch.setAttribute('class', 'button reset-search' + (re === null ? ' hide' : ''));
  searchButton.setAttribute('class', 'button search' + (re === null ? '' : ' on'));
  draw();
}
function askSearch() {
  var text = window.prompt('Search frames (regular expression' + (ignoreCase ? ', ignoring case' : '') + '; Ctrl-I toggles case)', term === null ? '' : term);
  if (text !== null) setSearch(text); // cancelled: keep what is highlighted
}
searchButton.addEventListener('click', askSearch);
resetSearch.addEventListener('click', function () { setSearch(null); });
function toggleCase() {
  ignoreCase = !ignoreCase;
  caseButton.setAttribute('class', 'button case' + (ignoreCase ? ' on' : ''));
  if (term !== null) setSearch(term);
}
caseButton.addEventListener('click', toggleCase);
// Ctrl-F / F3 search, Ctrl-I toggles case, as in flamegraph.pl: in a page, only over the graph.
document.addEventListener('keydown', function (e) {
  var ctrl = e.ctrlKey || e.metaKey, key = e.key.toLowerCase();
  var find = (ctrl && key === 'f') || e.key === 'F3', fold = ctrl && key === 'i';
  if (!(find || fold) || (svg.ownerDocument.documentElement !== svg && !svg.matches(':hover'))) return;
  e.preventDefault();
  if (find) askSearch(); else toggleCase();
});
`;

/** The layout and tooltip functions of FLAME_CORE_JS, for drawing a file's first view in Node. */
export interface FlameCore {
  prepare(data: object): void;
  layout(data: object, zoom: { start: number; end: number; depth: number }): FlameBox[];
  boxTitle(data: object, box: FlameBox): string;
  boxLine(data: object, box: FlameBox): string;
  boxLabel(data: object, box: FlameBox): string;
  boxClass(box: FlameBox): string;
  boxFill(data: object, box: FlameBox, hit: boolean): string;
  boxY(data: object, box: FlameBox): number;
}

/** [type, first, last, x, width, depth, faded, count]: see FLAME_CORE_JS. */
export type FlameBox = [number, number, number, number, number, number, number, number];

let core: FlameCore | undefined;

/** Our own constant source, evaluated once: the same functions the page runs. */
export function flameCore(): FlameCore {
  core ??= new Function(`${FLAME_CORE_JS}\nreturn { prepare, layout, boxTitle, boxLine, boxLabel, boxClass, boxFill, boxY };`)() as FlameCore;
  return core;
}
