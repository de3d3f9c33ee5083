/**
 * This machine's cache geometry, read from Linux's sysfs (the I/O half of cache-geometry.ts):
 * cachegrind's default. Elsewhere, or when sysfs lacks a level, the documented preset.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { geometryFromSysfs, VALGRIND_FALLBACK_GEOMETRY, type SysfsCacheEntry } from '../../profiler/build/cache-geometry.js';
import type { CacheGeometry } from '../../profiler/model/cache-report.js';

export const SYSFS_CACHE_DIR = '/sys/devices/system/cpu/cpu0/cache';

const FIELDS = ['level', 'type', 'size', 'ways_of_associativity', 'coherency_line_size'] as const;

function readEntry(dir: string): SysfsCacheEntry {
  const entry: Record<string, string> = {};
  for (const field of FIELDS) {
    try {
      entry[field] = readFileSync(join(dir, field), 'utf8');
    } catch {
      // a missing file leaves the field out: the pure parser decides
    }
  }
  return entry;
}

let cached: CacheGeometry | undefined;

/** D1 and LL of cpu0 (read once per process), or the valgrind-fallback preset. */
export function machineCacheGeometry(dir = SYSFS_CACHE_DIR): CacheGeometry {
  if (dir === SYSFS_CACHE_DIR && cached !== undefined) return cached;
  let geometry: CacheGeometry | undefined;
  try {
    const entries = readdirSync(dir).filter((name) => /^index\d+$/.test(name)).sort().map((name) => readEntry(join(dir, name)));
    geometry = geometryFromSysfs(entries, dir);
  } catch {
    geometry = undefined;
  }
  const result = geometry ?? VALGRIND_FALLBACK_GEOMETRY;
  if (dir === SYSFS_CACHE_DIR) cached = result;
  return result;
}
