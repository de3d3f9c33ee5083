/**
 * poor-locality: a function misses the first-level data cache on a large share of its main walk's
 * accesses and walks memory with a stride of a cache line or more → change the loop order or the
 * data layout so that consecutive accesses share lines. Reads the cache simulator's report (counts of
 * a simulated cache: exact for that geometry).
 */
import type { CacheFunctionStats } from '../../model/cache-report.js';
import { EXACT } from '../confidence.js';
import { exportEntering, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires from a 25 % D1 miss rate (score 0.9), high from 60 %; a unit-stride f64 walk misses 12.5 %. */
export const D1_MISS_POINTS = { p10: 0.25, median: 0.6 } as const;

/**
 * The accesses the stride describes: the main walk's loads or stores (the stream whose pattern
 * is the function's), so that a loop counter's store to one stack slot every iteration does not
 * halve a load walk's miss rate. Reports without streams: all accesses, 8-byte elements.
 */
function mainWalk(f: CacheFunctionStats): { what: 'loads' | 'stores' | 'accesses'; accesses: number; d1Misses: number; llMisses: number; elementBytes: number } {
  const stream = f.streams?.find((s) => s.stride.kind === f.stride.kind && 'bytes' in s.stride && 'bytes' in f.stride && s.stride.bytes === f.stride.bytes);
  if (stream?.kind === 'load') return { what: 'loads', accesses: f.reads, d1Misses: f.d1ReadMisses, llMisses: f.llReadMisses, elementBytes: stream.bytes ?? 8 };
  if (stream?.kind === 'store') return { what: 'stores', accesses: f.writes, d1Misses: f.d1WriteMisses, llMisses: f.llWriteMisses, elementBytes: stream.bytes ?? 8 };
  return { what: 'accesses', accesses: f.reads + f.writes, d1Misses: f.d1ReadMisses + f.d1WriteMisses, llMisses: f.llReadMisses + f.llWriteMisses, elementBytes: 8 };
}

function exportOf(exports: Parameters<typeof exportEntering>[0], name: string): { export?: string } {
  const e = exportEntering(exports, name);
  return e === undefined ? {} : { export: e.name };
}

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
        if (f.reads + f.writes === 0 || f.stride.kind !== 'strided' || f.stride.bytes < line) continue;
        const walk = mainWalk(f);
        if (walk.accesses === 0) continue;
        const missRate = walk.d1Misses / walk.accesses;
        if (missRate < D1_MISS_POINTS.p10) continue;
        const { rating, severity } = rate('D1 miss rate', missRate, D1_MISS_POINTS);
        // A walk in line order misses once per line: one in (line / element size) accesses.
        const sequentialMisses = Math.ceil(walk.accesses / Math.max(1, line / walk.elementBytes));
        const saved = Math.max(0, walk.d1Misses - sequentialMisses);
        findings.push({
          severity,
          rating,
          title: `${shown(f.name)} misses D1 on ${percent(missRate)} of its ${walk.what}, striding ${f.stride.bytes} B`,
          where: { module: label, ...exportOf(module.profile.exports, f.name), function: f.name },
          evidence: [
            { label: walk.what, value: walk.accesses, unit: 'accesses' },
            { label: 'D1 misses', value: walk.d1Misses, unit: 'misses' },
            { label: 'D1 miss rate', value: missRate * 100, unit: '%' },
            { label: 'LL misses', value: walk.llMisses, unit: 'misses' },
            { label: 'LL miss rate', value: (walk.llMisses / walk.accesses) * 100, unit: '%' },
            { label: 'stride', value: f.stride.bytes, unit: 'bytes' },
            { label: 'element', value: walk.elementBytes, unit: 'bytes' },
            { label: 'line', value: line, unit: 'bytes' },
          ],
          recommendation: `Make ${shown(f.name)} walk memory in address order: swap the loops so that the innermost index moves along a row (consecutive addresses), or store the data in the order it is read (transpose it, or structure of arrays). Each access now lands ${f.stride.bytes} B from the last, a new ${line}-byte line every time.`,
          saving: {
            value: saved,
            unit: 'misses',
            share: report.totals.estimatedCycles === 0 ? 0 : Math.min(1, f.estimatedCycles / report.totals.estimatedCycles) * (saved / walk.d1Misses),
            how: `D1 misses beyond one per ${line}-byte line (${walk.elementBytes}-byte elements walked in order); share: its estimated cycles over the module's, times the part of its misses saved`,
          },
          confidence: EXACT,
        });
      }
    }
    return ran(findings);
  },
};
