/**
 * module-cache: the host's module cache serves less than 80 % of the loads it is asked for
 * again, or evicts compiled modules → raise `moduleCache` bounds (entries, bytes), or preload
 * the modules that are reloaded. A first load always misses, so the rule judges only a cache
 * that has been asked more often than it holds entries.
 */
import { EXACT } from '../confidence.js';
import { percent } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule } from '../rule.js';

/** Fires below an 80 % hit rate (a 20 % miss rate scores 0.9); high from 50 % misses. */
export const CACHE_MISS_POINTS = { p10: 0.2, median: 0.5 } as const;

export const moduleCache: AnalysisRule = {
  id: 'module-cache',
  category: 'cold-start',
  guidanceLevel: 2,
  passedTitle: 'The module cache serves reloads and evicts nothing',
  run({ modules }) {
    // Every module of one host sees the same cache: judge its latest (most asked) snapshot.
    const cache = modules.map((m) => m.profile.cache).sort((a, b) => b.hits + b.misses + b.coalesced - (a.hits + a.misses + a.coalesced))[0];
    if (cache === undefined) return ran([]);
    const lookups = cache.hits + cache.misses + cache.coalesced;
    const served = cache.hits + cache.coalesced;
    // A first load of bytes misses by necessity: one per module held, evicted or too large to hold.
    const firstLoads = Math.min(cache.misses, cache.entries + cache.evictions + cache.oversize);
    const reloads = lookups - firstLoads;
    // Misses beyond the first loads compiled the same bytes again.
    const recompiles = cache.misses - firstLoads;
    const missRate = reloads <= 0 ? 0 : recompiles / reloads;
    const lowHitRate = reloads > 0 && missRate > CACHE_MISS_POINTS.p10;
    if (!lowHitRate && cache.evictions === 0) return ran([]);
    const { rating, severity } = rate('miss rate of reloads', Math.max(missRate, cache.evictions > 0 ? CACHE_MISS_POINTS.p10 * 1.01 : 0), CACHE_MISS_POINTS);
    const averageCompile = cache.misses === 0 ? 0 : cache.compileMs / cache.misses;
    return ran([
      {
        severity,
        rating,
        title: `Module cache: ${percent(1 - missRate)} hit rate over ${reloads} reloads (${lookups} loads), ${cache.evictions} evictions`,
        where: {},
        evidence: [
          { label: 'hits', value: cache.hits, unit: 'loads' },
          { label: 'misses', value: cache.misses, unit: 'loads' },
          { label: 'coalesced', value: cache.coalesced, unit: 'loads' },
          { label: 'evictions', value: cache.evictions, unit: 'modules' },
          { label: 'entries', value: cache.entries, unit: 'modules' },
          { label: 'held', value: cache.bytes, unit: 'bytes' },
          { label: 'bound', value: cache.maxBytes, unit: 'bytes' },
        ],
        recommendation:
          cache.evictions > 0
            ? `Raise the module cache's bounds (moduleCache maxEntries ${cache.maxEntries} / maxBytes ${cache.maxBytes}) to hold the modules in use: ${cache.evictions} compiled modules were evicted and compiled again on reload. Preload the ones every request needs.`
            : `Keep one WasmHost for the process and load each module through it (served ${served} of ${lookups} loads): a new host per request starts with an empty cache.`,
        saving: { value: recompiles * averageCompile, unit: 'ms', share: missRate, how: 'misses of reloads × the average compile; share: the miss rate of reloads' },
        confidence: EXACT,
      },
    ]);
  },
};
