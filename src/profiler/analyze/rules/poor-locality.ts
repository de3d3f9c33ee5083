/**
 * poor-locality: a function misses the first-level data cache on a large share of its accesses
 * and walks memory with a stride of a cache line or more → change the loop order or the data
 * layout so that consecutive accesses share lines. Reads the cache simulator's report (counts of
 * a simulated cache: exact for that geometry).
 */
import { EXACT } from '../confidence.js';
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires from a 25 % D1 miss rate (score 0.9), high from 60 %; a unit-stride f64 walk misses 12.5 %. */
export const D1_MISS_POINTS = { p10: 0.25, median: 0.6 } as const;

export const poorLocality: AnalysisRule = {
  id: 'poor-locality',
  category: 'locality',
  guidanceLevel: 3,
  passedTitle: 'No function walks memory with a cache-missing stride',
  run({ modules }) {
    const simulated = modules.filter((m) => m.profile.cacheSimulation !== undefined);
    if (simulated.length === 0) return skipped('no cache simulation: profile with the cache simulator');
    const findings: FindingDraft[] = [];
    for (const module of simulated) {
      const report = module.profile.cacheSimulation!;
      const line = report.geometry.d1.lineBytes;
      const label = module.profile.module.label;
      for (const f of report.functions) {
        const accesses = f.reads + f.writes;
        if (accesses === 0 || f.stride.kind !== 'strided' || f.stride.bytes < line) continue;
        const d1Misses = f.d1ReadMisses + f.d1WriteMisses;
        const llMisses = f.llReadMisses + f.llWriteMisses;
        const missRate = d1Misses / accesses;
        if (missRate < D1_MISS_POINTS.p10) continue;
        const { rating, severity } = rate('D1 miss rate', missRate, D1_MISS_POINTS);
        // A walk in line order misses once per line: at most one in (line / 8) for 8-byte elements.
        const sequentialMisses = Math.ceil(accesses / (line / 8));
        const saved = Math.max(0, d1Misses - sequentialMisses);
        findings.push({
          severity,
          rating,
          title: `${shown(f.name)} misses D1 on ${percent(missRate)} of its accesses, striding ${f.stride.bytes} B`,
          where: { module: label, function: f.name },
          evidence: [
            { label: 'accesses', value: accesses, unit: 'accesses' },
            { label: 'D1 misses', value: d1Misses, unit: 'misses' },
            { label: 'D1 miss rate', value: missRate * 100, unit: '%' },
            { label: 'LL misses', value: llMisses, unit: 'misses' },
            { label: 'LL miss rate', value: (llMisses / accesses) * 100, unit: '%' },
            { label: 'stride', value: f.stride.bytes, unit: 'bytes' },
            { label: 'line', value: line, unit: 'bytes' },
          ],
          recommendation: `Make ${shown(f.name)} walk memory in address order: swap the loops so that the innermost index moves along a row (consecutive addresses), or store the data in the order it is read (transpose it, or structure of arrays). Each access now lands ${f.stride.bytes} B from the last, a new ${line}-byte line every time.`,
          saving: {
            value: saved,
            unit: 'misses',
            share: report.totals.estimatedCycles === 0 ? 0 : Math.min(1, f.estimatedCycles / report.totals.estimatedCycles) * (saved / d1Misses),
            how: `D1 misses beyond one per ${line}-byte line (8-byte elements walked in order); share: its estimated cycles over the module's, times the part of its misses saved`,
          },
          confidence: EXACT,
        });
      }
    }
    return ran(findings);
  },
};
