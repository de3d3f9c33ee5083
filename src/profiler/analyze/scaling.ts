/**
 * Builds a scaling report from measurements at several sizes: fits the whole call, every
 * function that ran at each size, and the timings; flags functions that grow worse than the
 * export (the quadratic helper hiding under a linear loop, cheap at the sizes measured).
 */
import { frameKey, type FrameIdentity } from '../model/call-tree.js';
import { SCALING_REPORT_SCHEMA, type FunctionScaling, type ScalingReport, type ScalingSample } from '../model/scaling-report.js';
import { complexityRank, fitComplexity, predict } from './complexity-fit.js';

/** Functions below this share of the call at the largest size are not flagged: too small to matter yet. */
export const MIN_FLAGGED_SHARE = 0.001;
/** How far past the largest size to look for where a faster-growing function overtakes. */
const OVERTAKE_LIMIT = 1e12;

export function buildScalingReport(module: string, exportName: string, samples: readonly ScalingSample[]): ScalingReport {
  const sorted = [...samples].sort((a, b) => a.n - b.n);
  const sizes = sorted.map((s) => s.n);
  const call = fitComplexity(sorted.map((s) => ({ n: s.n, cost: s.instructions })));
  const callRank = complexityRank(call.best.class);
  const largest = sorted[sorted.length - 1]!;

  const frames = new Map<string, FrameIdentity>();
  for (const s of sorted) for (const f of s.functions) frames.set(frameKey(f), f);
  const functions: FunctionScaling[] = [];
  for (const [key, frame] of frames) {
    const at = sorted.map((s) => s.functions.find((f) => frameKey(f) === key));
    // A function that did not run at some size has no growth to fit there.
    if (at.some((f) => f === undefined || f.total <= 0)) continue;
    const totals = at.map((f) => f!.total);
    const fit = fitComplexity(sorted.map((s, i) => ({ n: s.n, cost: totals[i]! })));
    const shareAtLargest = largest.instructions === 0 ? 0 : totals[totals.length - 1]! / largest.instructions;
    const worseThanExport = complexityRank(fit.best.class) > callRank && shareAtLargest >= MIN_FLAGGED_SHARE;
    let overtakesAt: number | undefined;
    if (worseThanExport) {
      for (let n = largest.n; n <= OVERTAKE_LIMIT; n *= 2) {
        if (predict(fit.best, n) >= 0.5 * predict(call.best, n)) {
          overtakesAt = n;
          break;
        }
      }
    }
    functions.push({
      name: frame.name,
      ...(frame.functionIndex === undefined ? {} : { functionIndex: frame.functionIndex }),
      totals,
      calls: at.map((f) => f!.calls),
      fit,
      shareAtLargest,
      worseThanExport,
      ...(overtakesAt === undefined ? {} : { overtakesAt }),
    });
  }
  functions.sort((a, b) => b.totals[b.totals.length - 1]! - a.totals[a.totals.length - 1]! || (a.name < b.name ? -1 : 1));

  const timed = sorted.every((s) => s.timeNs !== undefined && s.timeNs > 0);
  return {
    schema: SCALING_REPORT_SCHEMA,
    module,
    export: exportName,
    sizes,
    call: { instructions: sorted.map((s) => s.instructions), fit: call },
    ...(timed ? { timing: { ns: sorted.map((s) => s.timeNs!), fit: fitComplexity(sorted.map((s) => ({ n: s.n, cost: s.timeNs! }))) } } : {}),
    functions,
  };
}
