/**
 * An analysis report as terminal text: findings ranked, each with where, the evidence, what to
 * do and what it saves; then the rules that passed (silence is visible) and those that could
 * not run. Guest text is escaped (terminalSafe).
 */
import type { AnalysisReport, Confidence, Evidence, Finding } from '../model/finding.js';
import { formatBytes, formatNs, terminalSafe } from './terminal-text.js';

function amount(value: number, unit: string): string {
  if (unit === 'ns') return formatNs(value);
  if (unit === 'ms') return formatNs(value * 1e6);
  if (unit === 'bytes') return formatBytes(value);
  if (unit === '%') return `${value.toFixed(1)} %`;
  const n = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return `${n} ${unit}`;
}

function confidence(c: Confidence): string {
  switch (c.kind) {
    case 'exact':
      return 'exact (counted)';
    case 'interval':
      return `${Math.round(c.level * 100)} % interval ${c.low.toPrecision(3)}–${c.high.toPrecision(3)}`;
    case 'p-value':
      return `p = ${c.p.toPrecision(2)}`;
  }
}

function where(f: Finding): string {
  const w = f.where;
  const parts = [
    w.module === undefined ? undefined : `module ${terminalSafe(w.module)}`,
    w.export === undefined ? undefined : `export ${terminalSafe(w.export)}`,
    w.path !== undefined && w.path.length > 0 ? `path ${w.path.map((p) => terminalSafe(p, 60)).join(' → ')}` : w.function === undefined ? undefined : `function ${terminalSafe(w.function)}`,
    w.site === undefined || w.path !== undefined ? undefined : `site ${terminalSafe(w.site)}`,
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? (f.category === 'pool' ? 'the pool' : 'the host') : parts.join(', ');
}

const evidence = (e: Evidence): string => `${terminalSafe(e.label, 80)} ${amount(e.value, e.unit)}`;

export function formatFindings(report: AnalysisReport): string {
  const lines: string[] = [];
  if (report.findings.length === 0) lines.push('findings: none');
  else lines.push(`findings: ${report.findings.length}, most saving first`);
  report.findings.forEach((f, i) => {
    lines.push('');
    lines.push(`${i + 1}. [${f.severity}] ${terminalSafe(f.title, 300)}  (${f.id}, ${f.category})`);
    lines.push(`   where: ${where(f)}`);
    lines.push(`   evidence: ${f.evidence.map(evidence).join(' · ')}`);
    lines.push(`   do${f.guidanceLevel === undefined ? '' : ` (guidance ${f.guidanceLevel}/3)`}: ${terminalSafe(f.recommendation, 600)}`);
    const share = f.saving.share === undefined ? '' : ` (${(f.saving.share * 100).toFixed(1)} %)`;
    lines.push(`   saves: up to ${amount(f.saving.value, f.saving.unit)}${share}: ${terminalSafe(f.saving.how, 300)}`);
    lines.push(`   confidence: ${confidence(f.confidence)} · score ${f.score.toFixed(3)}${f.rating === undefined ? '' : ` · ${f.rating.metric} ${f.rating.value.toPrecision(3)} rates ${f.rating.score.toFixed(2)} (p10 ${f.rating.p10}, median ${f.rating.median})`}`);
    if (f.readMore !== undefined) lines.push(`   read more: ${f.readMore}`);
  });
  lines.push('');
  lines.push(`passed (${report.passed.length}): ${report.passed.length === 0 ? '—' : report.passed.map((p) => p.id).join(', ')}`);
  for (const p of report.passed) lines.push(`  ✓ ${p.id}: ${p.title}`);
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) {
    lines.push(`not run (${skipped.length}):`);
    for (const s of skipped) lines.push(`  – ${s.id}: ${s.reason}`);
  }
  return lines.join('\n');
}
