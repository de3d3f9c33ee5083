/**
 * The first thing on the page, as Clinic.js puts its recommendation first: every finding
 * (severity, what it would save, what to do), ranked as the analyzer ranked them, each linking
 * to the panel holding its evidence further down; then the rules that found nothing.
 */
import { MAX_GUEST_MESSAGE } from '../../../untrusted-text.js';
import type { AnalysisReport, Finding } from '../../model/finding.js';
import { name, num, percent, text } from './html-text.js';
import type { ModuleAnchors } from './module-section.js';

/** Which panel shows a finding's evidence: the most specific one the page has. */
export function evidenceAnchor(finding: Finding, modules: readonly ModuleAnchors[]): string | undefined {
  const where = finding.where;
  const m =
    modules.find((x) => where.module !== undefined && (x.label === where.module || x.moduleId === where.module)) ??
    (where.module === undefined || modules.length === 1 ? modules[0] : undefined);
  if (m === undefined) return undefined;
  // A row when the finding names one the page has (a function for time spent, an export for
  // calls and failures); otherwise the panel its category's evidence lives in.
  const rowFirst = finding.category === 'cpu' || finding.category === 'host-boundary' || finding.category === 'errors';
  if (rowFirst && where.function !== undefined && m.functionRows.has(where.function)) return m.functionRows.get(where.function);
  if ((rowFirst || finding.category === 'limits') && where.export !== undefined && m.exportRows.has(where.export)) return m.exportRows.get(where.export);
  const byCategory: Partial<Record<Finding['category'], string>> = {
    cpu: m.panels.functions,
    allocation: m.panels.memory,
    locality: m.panels.cache,
    'cold-start': m.panels.coldStart,
    pool: m.panels.pool,
    limits: m.panels.memory,
    'host-boundary': m.panels.exports,
    errors: m.panels.exports,
  };
  return byCategory[finding.category] ?? m.panels.module;
}

/** The analyzer's sentences quote guest names but are prose: kept whole up to a message's length. */
const PROSE = MAX_GUEST_MESSAGE;

function saving(f: Finding): string {
  const share = f.saving.share === undefined ? '' : ` (${percent(f.saving.share)})`;
  return `${text(num(f.saving.value, 2))} ${text(f.saving.unit)}${text(share)}`;
}

function confidence(f: Finding): string {
  const c = f.confidence;
  if (c.kind === 'exact') return 'exact';
  if (c.kind === 'p-value') return `p = ${c.p.toPrecision(2)}`;
  return `${num(c.level * 100)} % interval ${num(c.low, 2)} … ${num(c.high, 2)}`;
}

function where(f: Finding): string {
  const parts: string[] = [];
  if (f.where.module !== undefined) parts.push(`module <code>${name(f.where.module)}</code>`);
  if (f.where.export !== undefined) parts.push(`export <code>${name(f.where.export)}</code>`);
  if (f.where.function !== undefined) parts.push(`function <code>${name(f.where.function)}</code>`);
  if (f.where.path !== undefined && f.where.path.length > 0) parts.push(`path <code>${f.where.path.map((p) => name(p)).join(' → ')}</code>`);
  if (f.where.site !== undefined) parts.push(`site <code>${name(f.where.site)}</code>`);
  return parts.join(', ');
}

export function findingsSection(analysis: AnalysisReport | undefined, modules: readonly ModuleAnchors[]): string {
  if (analysis === undefined) {
    return `<section id="findings"><h2>Findings</h2><p class="empty" id="findings-count" data-count="0">No analysis was recorded for this run: run the analyzer (wasm-sandbox profile … --save) to get findings.</p></section>`;
  }
  const items = analysis.findings
    .map((f, i) => {
      const anchor = evidenceAnchor(f, modules);
      const evidence = f.evidence.map((e) => `<li>${text(e.label)}: <b>${text(num(e.value, 2))}</b> ${text(e.unit)}</li>`).join('');
      return (
        `<li class="finding sev-${text(f.severity)}" id="finding-${i}" data-rule="${text(f.id)}">` +
        `<div class="finding-head"><span class="badge">${text(f.severity)}</span> <span class="category">${text(f.category)}</span> <b class="finding-title">${name(f.title, PROSE)}</b></div>` +
        `<p class="saving">Saving: <b>${saving(f)}</b> — ${name(f.saving.how, PROSE)} <span class="confidence">(${text(confidence(f))})</span></p>` +
        `<p class="recommendation">${name(f.recommendation, PROSE)}</p>` +
        (where(f) === '' ? '' : `<p class="where">${where(f)}</p>`) +
        (evidence === '' ? '' : `<ul class="evidence">${evidence}</ul>`) +
        (f.rating === undefined ? '' : `<p class="rating">Rated on ${name(f.rating.metric)}: ${text(num(f.rating.value, 2))} against p10 ${text(num(f.rating.p10, 2))} and median ${text(num(f.rating.median, 2))} (score ${text(num(f.rating.score, 2))})</p>`) +
        (anchor === undefined ? '' : `<a class="evidence-link" href="#${anchor}">See the evidence ↓</a>`) +
        (f.readMore === undefined ? '' : ` <span class="read-more">Rule explained in <code>${name(f.readMore)}</code></span>`) +
        `</li>`
      );
    })
    .join('\n');
  const passed = analysis.passed.map((p) => `<li>${name(p.title)} <span class="rule">(${text(p.id)})</span></li>`).join('');
  const skipped = (analysis.skipped ?? []).map((p) => `<li>${name(p.title)} <span class="rule">(${text(p.id)})</span>: ${name(p.reason, 400)}</li>`).join('');
  const count = analysis.findings.length;
  return (
    `<section id="findings"><h2>Findings</h2>` +
    `<p id="findings-count" data-count="${count}">${count === 0 ? 'No rule found anything to improve.' : `${count} finding${count === 1 ? '' : 's'}, ranked by expected saving × confidence.`}</p>` +
    (count === 0 ? '' : `<ol class="findings">\n${items}\n</ol>`) +
    (passed === '' ? '' : `<details class="passed"><summary>${analysis.passed.length} rule${analysis.passed.length === 1 ? '' : 's'} found nothing</summary><ul>${passed}</ul></details>`) +
    (skipped === '' ? '' : `<details class="passed skipped"><summary>${analysis.skipped!.length} rule${analysis.skipped!.length === 1 ? '' : 's'} could not run on what this run recorded</summary><ul>${skipped}</ul></details>`) +
    `</section>`
  );
}
