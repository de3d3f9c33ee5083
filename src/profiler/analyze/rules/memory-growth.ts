/**
 * memory-growth: `memory.grow` keeps happening during calls → start with the memory the calls
 * need (raise the declared initial memory) or reuse buffers. Growth is counted exactly by the
 * host around every call.
 */
import { EXACT } from '../confidence.js';
import { PAGE_BYTES, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** One growth (a heap's first expansion) is normal; fires from 2 (score 0.9), high from 16. */
export const MEMORY_GROWTH_POINTS = { p10: 2, median: 16 } as const;

export const memoryGrowth: AnalysisRule = {
  id: 'memory-growth',
  category: 'allocation',
  guidanceLevel: 3,
  passedTitle: 'Guest memory does not keep growing during calls',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const module of modules) {
      const { profile } = module;
      const events = profile.exports.reduce((n, e) => n + e.memory.growthEvents, 0);
      const calls = profile.exports.reduce((n, e) => n + e.calls, 0);
      if (events < MEMORY_GROWTH_POINTS.p10 || calls === 0) continue;
      const grown = profile.exports.reduce((n, e) => n + e.memory.bytesGrown, 0);
      const worst = [...profile.exports].sort((a, b) => b.memory.growthEvents - a.memory.growthEvents)[0]!;
      const pages = Math.ceil(profile.memory.peakBytes / PAGE_BYTES);
      const { rating, severity } = rate('growth events', events, MEMORY_GROWTH_POINTS);
      findings.push({
        severity,
        rating,
        title: `${shown(profile.module.label)}: memory grew ${events} times during ${calls} calls`,
        where: { module: profile.module.label, export: worst.name },
        evidence: [
          { label: 'growth events', value: events, unit: 'calls' },
          { label: 'bytes grown', value: grown, unit: 'bytes' },
          { label: 'peak memory', value: profile.memory.peakBytes, unit: 'bytes' },
          { label: 'declared initial', value: profile.memory.declaredInitialPages ?? 0, unit: 'pages' },
        ],
        recommendation: `Declare an initial memory of ${pages} pages (the peak seen; for AssemblyScript --initialMemory ${pages}) so that calls do not grow it, or reuse buffers between calls instead of allocating fresh ones (growth is the allocator asking for more).`,
        saving: { value: events, unit: 'growth events', share: Math.min(1, events / calls), how: 'calls that grew memory, over all calls: the growths a large enough initial memory avoids' },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};
