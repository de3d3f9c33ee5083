/**
 * The HTML report: one self-contained file per run (Clinic.js's shape), opened from disk.
 * No network, no CDN: its style and script (and each flamegraph's) are inline and allowed by
 * their SHA-256 in a Content-Security-Policy that allows nothing else (no other script, no inline handler,
 * no fetch, no image, no frame); the data is embedded as JSON. Sections come in the order a
 * person decides: findings first, each linking to its evidence; then, per module, cold start,
 * latency, exports, memory, cache, top functions and the flamegraph; pool workers; benchmark
 * results; and, given two runs, the comparison table and the differential flamegraph. The
 * flamegraphs are flamegraph.ts's and diff-flamegraph.ts's SVG files, inlined as they are
 * (inlineFlamegraph): each carries its own script and style, which the policy allows by hash too.
 *
 * Parts (report/): report-input (what it is made from, and reading saved JSON), html-text
 * (escaping), sortable-table, charts (static SVG), findings-section, module-section,
 * run-sections (pool, bench, comparison), comparison (the deltas), page-script (sortable
 * tables) and page-style.
 *
 * # Security
 * Function, export and module names are guest text: shortened and control characters made
 * visible (untrusted-text.ts), then HTML-escaped in the markup; in the embedded JSON `<`, `>`
 * and `&` are `\u` escapes, so no name can close its script element; the script puts names in
 * with `textContent` only. The policy would stop an injected script even if one got through.
 */
import { createHash } from 'node:crypto';
import { guestText } from '../../untrusted-text.js';
import { compareRuns } from './report/comparison.js';
import { renderDiffFlamegraph } from './diff-flamegraph.js';
import { inlineFlamegraph, renderFlamegraph, type InlineFlamegraph } from './flamegraph.js';
import { findingsSection } from './report/findings-section.js';
import { name, scriptJson, text } from './report/html-text.js';
import { flamePanel, moduleSection, type ModuleAnchors } from './report/module-section.js';
import { PAGE_SCRIPT } from './report/page-script.js';
import { PAGE_STYLE } from './report/page-style.js';
import type { ReportInput, ReportRun } from './report/report-input.js';
import { benchPanel, comparisonPanel, workersPanel } from './report/run-sections.js';

export type { ReportInput, ReportRun, ReportModule } from './report/report-input.js';
export type { ReportComparison, ComparisonRow } from './report/comparison.js';

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** The policy: the page's own styles and scripts by hash (each listed once), nothing from anywhere. */
export function reportPolicy(scripts: readonly string[], styles: readonly string[]): string {
  const hashes = (texts: readonly string[]): string => [...new Set(texts.map(sha256))].join(' ');
  return [`default-src 'none'`, `script-src ${hashes(scripts)}`, `style-src ${hashes(styles)}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
}

/** Most frames a report's flamegraph embeds (the widest): a page holds several, and stays a few hundred KB. */
const REPORT_MAX_FRAMES = 4000;
/** The width the page's main column gives a panel's content (the SVG scales down with it). */
const REPORT_FLAME_WIDTH = 1200;

function runSections(run: ReportRun, r: number, flames: InlineFlamegraph[]): { html: string; anchors: ModuleAnchors[] } {
  const anchors: ModuleAnchors[] = [];
  const parts: string[] = [];
  if (run.workers !== undefined) parts.push(workersPanel(`r${r}-pool`, run.workers));
  run.modules.forEach((module, m) => {
    let flame: InlineFlamegraph | undefined;
    if (module.tree !== undefined) {
      const { mode, unit } = module.tree;
      // The file's default title names mode and unit, the same word when counting instructions.
      const title = `Guest profile (${mode === unit ? unit : `${mode}, ${unit}`})`;
      flame = inlineFlamegraph(renderFlamegraph(module.tree, { title, width: REPORT_FLAME_WIDTH, maxFrames: REPORT_MAX_FRAMES }));
      flames.push(flame);
    }
    const section = moduleSection(module, `r${r}-m${m}`, flame, run.workers !== undefined);
    anchors.push(run.workers === undefined ? section.anchors : { ...section.anchors, panels: { ...section.anchors.panels, pool: `r${r}-pool` } });
    parts.push(section.html);
  });
  if (run.bench !== undefined && run.bench.length > 0) parts.push(`<section class="bench" id="r${r}-bench"><h2>Benchmarks</h2>${benchPanel(`r${r}-bench`, run.bench)}</section>`);
  return { html: parts.join('\n'), anchors };
}

/** The report as one HTML string (pure: the caller writes it where it wants). */
export function renderHtmlReport(input: ReportInput): string {
  const runs = input.runs;
  const latest = runs[runs.length - 1];
  if (latest === undefined) throw new RangeError('renderHtmlReport needs at least one run');
  const before = runs.length > 1 ? runs[runs.length - 2] : undefined;
  const analysis = input.analysis ?? latest.analysis;
  const flames: InlineFlamegraph[] = [];

  const main = runSections(latest, runs.length - 1, flames);
  const earlier = runs.slice(0, -1).map((run, r) => {
    const s = runSections(run, r, flames);
    return `<details class="earlier" id="r${r}"><summary>Earlier run: <code>${name(run.name)}</code> (${run.modules.length} module${run.modules.length === 1 ? '' : 's'})</summary>${s.html}</details>`;
  });

  let comparison = '';
  if (before !== undefined) {
    const table = comparisonPanel('comparison-table', input.comparison ?? compareRuns(before, latest), guestText(before.name, 40), guestText(latest.name, 40));
    const diffs = latest.modules
      .map((after, m) => {
        const prior = before.modules.find((b) => b.profile.module.label === after.profile.module.label) ?? (before.modules.length === 1 && latest.modules.length === 1 ? before.modules[0] : undefined);
        if (after.tree === undefined || prior?.tree === undefined) return '';
        const flame = inlineFlamegraph(
          renderDiffFlamegraph(prior.tree, after.tree, { width: REPORT_FLAME_WIDTH, maxFrames: REPORT_MAX_FRAMES, normalize: true }),
        );
        flames.push(flame);
        return `<section class="panel" id="diff-m${m}"><h3>Differential flamegraph: <code>${name(after.profile.module.label)}</code></h3>${flamePanel(`diff-m${m}`, flame, 'diff')}</section>`;
      })
      .filter((s) => s !== '');
    comparison =
      `<section id="comparison"><h2>Before and after</h2>${table}` +
      (diffs.length === 0 ? `<p class="empty">No differential flamegraph: both runs need a call tree of the same module.</p>` : diffs.join('\n')) +
      `</section>`;
  }

  const title = input.title ?? `wasm-sandbox report: ${latest.name}`;
  // The trees travel once, inside the flamegraphs (their widest frames), not again inside the runs.
  const runsData = input.runs.map((run) => ({ ...run, modules: run.modules.map(({ tree: _tree, ...rest }) => ({ ...rest, hasTree: _tree !== undefined })) }));
  const data = { schema: 'wasm-sandbox/report@1', title, generatedAt: input.generatedAt, runs: runsData, analysis: analysis ?? null };
  const toc = [
    `<a href="#findings">Findings</a>`,
    ...(before === undefined ? [] : [`<a href="#comparison">Before and after</a>`]),
    ...main.anchors.map((a) => `<a href="#${a.panels.module}">${name(a.label)}</a>`),
    ...(latest.bench !== undefined && latest.bench.length > 0 ? [`<a href="#r${runs.length - 1}-bench">Benchmarks</a>`] : []),
  ].join('');
  const body =
    `<header class="top"><h1>${name(title)}</h1><p>${runs.map((r) => `<code>${name(r.name)}</code>`).join(' → ')}${input.generatedAt === undefined ? '' : ` · ${text(input.generatedAt)}`}</p></header>` +
    `<nav class="toc">${toc}</nav><main>` +
    findingsSection(analysis, main.anchors) +
    comparison +
    main.html +
    earlier.join('\n') +
    `</main>`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${text(reportPolicy([PAGE_SCRIPT, ...flames.map((f) => f.script)], [PAGE_STYLE, ...flames.map((f) => f.style)]))}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">` +
    `<title>${name(title)}</title><style>${PAGE_STYLE}</style></head>\n<body>${body}\n` +
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>\n` +
    `<script>${PAGE_SCRIPT}</script>\n</body></html>\n`
  );
}
