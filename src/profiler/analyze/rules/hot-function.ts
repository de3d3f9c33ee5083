/**
 * hot-function: one guest function holds most of the self weight (instructions, ns or samples)
 * → optimise it first. The saving is its self weight: the most any change to it can save.
 */
import { frameKey, functionStats, walkTree, type CallTree, type FunctionStats } from '../../model/call-tree.js';
import { HOST_FRAME_NAME } from './host-imports.js';
import { treeShareConfidence } from '../confidence.js';
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires from a 50 % share (score 0.9); high from 80 % (score 0.5). */
export const HOT_FUNCTION_POINTS = { p10: 0.5, median: 0.8 } as const;

/** The heaviest path (by self weight) that ends in `target`, outermost first. */
export function heaviestPath(tree: CallTree, target: FunctionStats): string[] {
  let best: { self: number; path: string[] } | undefined;
  walkTree(tree, (node, path) => {
    if (frameKey(node) === frameKey(target) && (best === undefined || node.self > best.self)) best = { self: node.self, path: [...path] };
  });
  return best?.path ?? [target.name];
}

export const hotFunction: AnalysisRule = {
  id: 'hot-function',
  category: 'cpu',
  guidanceLevel: 2,
  passedTitle: 'No guest function holds most of the self weight',
  run({ modules }) {
    const watched = modules.filter((m) => m.tree !== undefined || m.profile.functions !== undefined);
    if (watched.length === 0) return skipped('no call tree or function table: profile with --mode instrumented, instructions or sampling');
    const findings: FindingDraft[] = [];
    for (const module of watched) {
      const stats = module.tree !== undefined ? functionStats(module.tree) : module.profile.functions!.top;
      const unit = module.tree?.unit ?? module.profile.functions!.unit;
      const total = module.tree?.root.total ?? module.profile.functions!.total;
      const guest = stats.filter((s) => s.name !== HOST_FRAME_NAME && s.self > 0);
      const top = guest[0];
      // One function alone holding everything says nothing about where to look first.
      if (top === undefined || guest.length < 2 || total <= 0) continue;
      const share = top.self / total;
      if (share < HOT_FUNCTION_POINTS.p10) continue;
      const { rating, severity } = rate('share of self weight', share, HOT_FUNCTION_POINTS);
      const label = module.profile.module.label;
      findings.push({
        severity,
        rating,
        title: `${shown(top.name)} holds ${percent(share)} of ${shown(label)}'s ${unit}`,
        where: { module: label, function: top.name, ...(module.tree === undefined ? {} : { path: heaviestPath(module.tree, top) }) },
        evidence: [
          { label: 'self weight', value: top.self, unit },
          { label: 'profile total', value: total, unit },
          { label: 'share', value: share * 100, unit: '%' },
          { label: 'calls', value: top.calls, unit: 'calls' },
        ],
        recommendation: `Optimise ${shown(top.name)} first: it is where ${percent(share)} of the work is done (its own code, not its callees). Look at its inner loop, the calls it makes per iteration, and whether it is called more often than needed (${top.calls} calls).`,
        saving: { value: top.self, unit, share, how: `self weight of ${shown(top.name)} over the profile's total: the most any change to it can save` },
        confidence: module.tree === undefined ? { kind: 'exact' } : treeShareConfidence(module.tree, share, top.self, top.calls, module.hookOverhead),
      });
    }
    return ran(findings);
  },
};
