/** A scaling report as terminal text: the sizes measured, the whole call's fit (and the timings' beside it), each function's fit, and the functions that grow worse than the export. */
import type { ComplexityFit } from '../analyze/complexity-fit.js';
import type { ScalingReport } from '../model/scaling-report.js';
import { distinctLabels } from './frame-labels.js';
import { formatNs, renderTable, terminalSafe } from './terminal-text.js';
import { frameKey } from '../model/call-tree.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fitText = (fit: ComplexityFit): string => `${fit.class}  coefficient ${fit.coefficient.toPrecision(4)}  rms ${(fit.rms * 100).toFixed(2)} %`;

export function formatScaling(report: ScalingReport): string {
  const lines: string[] = [];
  lines.push(`scale ${terminalSafe(report.module)} ${terminalSafe(report.export)} over N = ${report.sizes.map(int).join(', ')}`);
  lines.push('');
  lines.push(
    renderTable(
      ['N', 'instructions', ...(report.timing === undefined ? [] : ['time (median)'])],
      report.sizes.map((n, i) => [int(n), int(report.call.instructions[i]!), ...(report.timing === undefined ? [] : [formatNs(report.timing.ns[i]!)])]),
      ['right', 'right', 'right'],
    ),
  );
  lines.push('');
  lines.push(`whole call (instructions, exact): ${fitText(report.call.fit.best)}`);
  if (report.timing !== undefined) lines.push(`whole call (time, noisy):          ${fitText(report.timing.fit.best)} (ns)`);
  const others = report.call.fit.candidates.filter((c) => c.class !== report.call.fit.best.class);
  lines.push(`other fits: ${others.map((c) => `${c.class} rms ${(c.rms * 100).toFixed(1)} %`).join(' · ')}`);
  if (report.functions.length > 0) {
    const labels = distinctLabels(report.functions);
    lines.push('');
    lines.push('functions (inclusive instructions at every size)');
    lines.push(
      renderTable(
        ['function', 'fit', 'coefficient', 'rms', 'share at largest N', ''],
        report.functions.map((f) => [labels.get(frameKey(f)) ?? f.name, f.fit.best.class, f.fit.best.coefficient.toPrecision(4), `${(f.fit.best.rms * 100).toFixed(2)} %`, `${(f.shareAtLargest * 100).toFixed(1)} %`, f.worseThanExport ? '← grows faster than the export' : '']),
        ['left', 'left', 'right', 'right', 'right', 'left'],
      ),
    );
  }
  const flagged = report.functions.filter((f) => f.worseThanExport);
  for (const f of flagged) {
    const largest = report.sizes[report.sizes.length - 1]!;
    lines.push('');
    lines.push(
      `! ${terminalSafe(f.name)} grows as ${f.fit.best.class}, faster than ${terminalSafe(report.export)} (${report.call.fit.best.class}): ` +
        `${(f.shareAtLargest * 100).toFixed(1)} % of the call at N = ${int(largest)}` +
        (f.overtakesAt === undefined ? '' : `, about half of it from N ≈ ${int(f.overtakesAt)}`) +
        '. It will dominate larger inputs: give it a better algorithm (sort or hash instead of comparing every pair), or bound its input.',
    );
  }
  return lines.join('\n');
}
