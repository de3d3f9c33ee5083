/**
 * host-imports: calls into host imports take most of a guest function's time → batch them,
 * cache their answers in the guest, or move the work across. Reads the call tree's `(host)`
 * frames (the hooks pass and the sampler both name the host boundary so).
 */
import { frameKey, walkTree, type CallTreeNode } from '../../model/call-tree.js';
import { treeShareConfidence } from '../confidence.js';
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** The frame the host boundary has in call trees (instrument/abi.ts HOST_FRAME, sampling-profiler.ts). */
export const HOST_FRAME_NAME = '(host)';

/** Fires from 50 % of the function's inclusive weight (score 0.9); high from 80 %. */
export const HOST_IMPORTS_POINTS = { p10: 0.5, median: 0.8 } as const;

export const hostImports: AnalysisRule = {
  id: 'host-imports',
  category: 'host-boundary',
  guidanceLevel: 3,
  passedTitle: 'No guest function spends most of its time in host imports',
  run({ modules }) {
    const withTree = modules.filter((m) => m.tree !== undefined);
    if (withTree.length === 0) return skipped('no call tree: profile with --mode instrumented, instructions or sampling');
    const findings: FindingDraft[] = [];
    for (const module of withTree) {
      const tree = module.tree!;
      // Per guest function: inclusive weight, and the weight of its direct (host) children.
      const byFunction = new Map<string, { node: CallTreeNode; total: number; host: number; hostCalls: number; path: string[] }>();
      walkTree(tree, (node, path) => {
        if (node.name === HOST_FRAME_NAME) return;
        const host = node.children.filter((c) => c.name === HOST_FRAME_NAME);
        const entry = byFunction.get(frameKey(node)) ?? { node, total: 0, host: 0, hostCalls: 0, path: [...path] };
        entry.total += node.total;
        entry.host += host.reduce((n, c) => n + c.total, 0);
        entry.hostCalls += host.reduce((n, c) => n + c.calls, 0);
        byFunction.set(frameKey(node), entry);
      });
      for (const { node, total, host, hostCalls, path } of byFunction.values()) {
        if (total <= 0 || host <= 0) continue;
        const share = host / total;
        if (share < HOST_IMPORTS_POINTS.p10) continue;
        const { rating, severity } = rate('share of the function in host imports', share, HOST_IMPORTS_POINTS);
        const overall = tree.root.total <= 0 ? 0 : host / tree.root.total;
        findings.push({
          severity,
          rating,
          title: `${shown(node.name)} spends ${percent(share)} of its ${tree.unit} in host imports`,
          where: { module: module.profile.module.label, function: node.name, path: [...path, HOST_FRAME_NAME] },
          evidence: [
            { label: 'in host imports', value: host, unit: tree.unit },
            { label: 'function inclusive', value: total, unit: tree.unit },
            { label: 'host calls', value: hostCalls, unit: 'calls' },
          ],
          recommendation: `Cross the boundary less from ${shown(node.name)}: pass a buffer to one import call instead of ${hostCalls} small ones, cache what the host answers inside the guest, or move that work to one side.`,
          saving: { value: host, unit: tree.unit, share: overall, how: 'weight of the (host) frames under the function, over the profile total: the most batching can save' },
          confidence: treeShareConfidence(tree, overall, host, hostCalls, module.hookOverhead),
        });
      }
    }
    return ran(findings);
  },
};
