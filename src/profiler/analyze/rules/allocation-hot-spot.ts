/**
 * allocation-hot-spot: one allocation site allocates many blocks per call, or mostly temporary
 * ones (freed before the next allocation) → reuse a buffer. Reads the allocation tracker's
 * report; counts are exact.
 */
import type { AllocationSite } from '../../model/allocation-report.js';
import { EXACT } from '../confidence.js';
import { exportEntering, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires from 100 blocks a call (score 0.9), high from 10,000. */
export const ALLOCATIONS_PER_CALL_POINTS = { p10: 100, median: 10_000 } as const;
/** A site with this share of temporary blocks (and at least 100 of them) fires whatever its rate. */
export const TEMPORARY_SHARE = 0.5;
/** Sites below this share of the module's allocated bytes are not worth a finding. */
export const MIN_BYTES_SHARE = 0.1;

export function siteName(site: AllocationSite): string {
  return site.stack.map((f) => f.name).join(' → ') || '(outside any call)';
}

export const allocationHotSpot: AnalysisRule = {
  id: 'allocation-hot-spot',
  category: 'allocation',
  guidanceLevel: 3,
  passedTitle: 'No allocation site allocates heavily per call',
  run({ modules }) {
    const tracked = modules.filter((m) => m.profile.allocations !== undefined);
    if (tracked.length === 0) return skipped('no allocation report: profile with the allocation tracker');
    const findings: FindingDraft[] = [];
    for (const module of tracked) {
      const report = module.profile.allocations!;
      const label = module.profile.module.label;
      for (const site of report.sites) {
        const bytesShare = report.totals.bytes === 0 ? 0 : site.bytes / report.totals.bytes;
        if (bytesShare < MIN_BYTES_SHARE) continue;
        const exported = exportEntering(module.profile.exports, site.stack[0]?.name);
        const calls = exported?.calls ?? module.profile.exports.reduce((n, e) => n + e.calls, 0);
        const perCall = site.blocks / Math.max(1, calls);
        const temporaryShare = site.blocks === 0 ? 0 : site.temporaryBlocks / site.blocks;
        const temporary = temporaryShare >= TEMPORARY_SHARE && site.temporaryBlocks >= ALLOCATIONS_PER_CALL_POINTS.p10;
        if (perCall < ALLOCATIONS_PER_CALL_POINTS.p10 && !temporary) continue;
        const { rating, severity } = rate('blocks allocated per call', perCall, ALLOCATIONS_PER_CALL_POINTS);
        const where = siteName(site);
        findings.push({
          severity: temporary && severity === 'low' ? 'medium' : severity,
          rating,
          title: `${shown(where)} allocates ${Math.round(perCall)} blocks a call${temporary ? `, ${percent(temporaryShare)} of them temporary` : ''}`,
          where: { module: label, ...(exported === undefined ? {} : { export: exported.name }), function: site.stack[site.stack.length - 1]?.name ?? '', path: site.stack.map((f) => f.name), site: where },
          evidence: [
            { label: 'blocks', value: site.blocks, unit: 'blocks' },
            { label: 'bytes', value: site.bytes, unit: 'bytes' },
            { label: 'blocks per call', value: perCall, unit: 'blocks' },
            { label: 'temporary blocks', value: site.temporaryBlocks, unit: 'blocks' },
            { label: 'average size', value: site.averageBytes, unit: 'bytes' },
          ],
          recommendation: `Reuse one buffer at ${shown(where)} instead of allocating ${Math.round(site.averageBytes)} B ${Math.round(perCall)} times a call: allocate it once (a module-level buffer, or one sized for the largest request) and reset it per use.`,
          saving: { value: site.bytes, unit: 'bytes', share: bytesShare, how: "the site's allocated bytes over the module's: what reusing one buffer stops allocating" },
          confidence: EXACT,
        });
      }
    }
    return ran(findings);
  },
};
