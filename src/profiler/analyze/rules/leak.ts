/**
 * leak: an export called again and again does not return to the same live-byte baseline: live
 * bytes grow by some amount every call, from the sites named → free (or stop keeping) what those
 * sites allocate. The slope comes from the allocation tracker; counts are exact.
 */
import { EXACT } from '../confidence.js';
import { shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** A slope needs a few calls to be a slope. */
export const LEAK_MIN_CALLS = 3;
/** Any growth fires; low below 64 B a call (score 0.9), high from 4 KiB a call. */
export const LEAK_POINTS = { p10: 64, median: 4096 } as const;

export const leak: AnalysisRule = {
  id: 'leak',
  category: 'allocation',
  guidanceLevel: 3,
  passedTitle: 'Live bytes return to their baseline after every call',
  run({ modules }) {
    const tracked = modules.filter((m) => m.profile.allocations !== undefined);
    if (tracked.length === 0) return skipped('no allocation report: profile with the allocation tracker');
    const findings: FindingDraft[] = [];
    for (const module of tracked) {
      const report = module.profile.allocations!;
      const label = module.profile.module.label;
      for (const entry of report.perCall) {
        if (entry.calls < LEAK_MIN_CALLS || entry.liveBytesGainedPerCall <= 0) continue;
        const perCall = entry.liveBytesGainedPerCall;
        const { rating, severity } = rate('live bytes gained per call', perCall, LEAK_POINTS);
        const sites = [...entry.sites].sort((a, b) => b.bytesPerCall - a.bytesPerCall);
        const top = sites[0];
        const topName = top === undefined ? '(unknown site)' : top.stack.map((f) => f.name).join(' → ');
        const leaked = perCall * (entry.calls - 1);
        const limitBytes = module.profile.memory.limitPages * 65536;
        findings.push({
          severity,
          rating,
          title: `${shown(entry.export)} keeps ${Math.round(perCall)} more live bytes after every call`,
          where: { module: label, export: entry.export, ...(top === undefined ? {} : { path: top.stack.map((f) => f.name), site: topName }) },
          evidence: [
            { label: 'live bytes gained per call', value: perCall, unit: 'bytes' },
            { label: 'calls', value: entry.calls, unit: 'calls' },
            ...sites.slice(0, 3).map((s) => ({ label: `from ${s.stack.map((f) => f.name).join(' → ')}`, value: s.bytesPerCall, unit: 'bytes/call' })),
          ],
          recommendation: `Free, or stop keeping, what ${shown(topName)} allocates in each ${shown(entry.export)} call (a global list or cache that only grows?); at this rate the ${module.profile.memory.limitPages}-page limit is reached after about ${Math.floor(limitBytes / perCall)} calls.`,
          saving: { value: leaked, unit: 'bytes', share: Math.min(1, leaked / Math.max(1, report.peak.liveBytes)), how: 'bytes gained per call × calls after the first, over the peak of live bytes' },
          confidence: EXACT,
        });
      }
    }
    return ran(findings);
  },
};
