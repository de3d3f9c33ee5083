import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineCacheGeometry, SYSFS_CACHE_DIR } from '../src/host/profiling/machine-cache-geometry.js';
import { VALGRIND_FALLBACK_GEOMETRY } from '../src/profiler/build/cache-geometry.js';

function fakeSysfs(entries: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sysfs-cache-'));
  for (const [index, files] of Object.entries(entries)) {
    mkdirSync(join(dir, index));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, index, name), `${text}\n`);
  }
  return dir;
}

describe('this machine\'s cache geometry', () => {
  it('reads D1 and LL from sysfs files', () => {
    const dir = fakeSysfs({
      index0: { level: '1', type: 'Data', size: '32K', ways_of_associativity: '8', coherency_line_size: '64' },
      index1: { level: '1', type: 'Instruction', size: '32K', ways_of_associativity: '8', coherency_line_size: '64' },
      index2: { level: '2', type: 'Unified', size: '512K', ways_of_associativity: '8', coherency_line_size: '64' },
    });
    expect(machineCacheGeometry(dir)).toEqual({
      d1: { sizeBytes: 32768, associativity: 8, lineBytes: 64 },
      ll: { sizeBytes: 524288, associativity: 8, lineBytes: 64 },
      source: `this machine (${dir}, L2 as LL)`,
    });
  });

  it('falls back to the named preset without sysfs, or without a unified level', () => {
    expect(machineCacheGeometry(join(tmpdir(), 'no-such-sysfs-dir'))).toEqual(VALGRIND_FALLBACK_GEOMETRY);
    const dir = fakeSysfs({ index0: { level: '1', type: 'Data', size: '32K', ways_of_associativity: '8', coherency_line_size: '64' } });
    expect(machineCacheGeometry(dir)).toEqual(VALGRIND_FALLBACK_GEOMETRY);
  });

  it('gives a geometry the simulator accepts on this machine', () => {
    const geometry = machineCacheGeometry();
    expect(geometry.source === VALGRIND_FALLBACK_GEOMETRY.source || geometry.source.includes(SYSFS_CACHE_DIR)).toBe(true);
    for (const level of [geometry.d1, geometry.ll]) {
      const sets = level.sizeBytes / (level.associativity * level.lineBytes);
      expect(Number.isInteger(Math.log2(sets))).toBe(true);
    }
  });
});
