/**
 * Cache geometry for the simulator: cachegrind's `--D1=size,assoc,line` syntax, the named
 * fallback preset, and this machine's caches as sysfs describes them (the text is handed in:
 * reading /sys is the host adapter's job, profiler/ does no I/O).
 */
import type { CacheGeometry, CacheLevelGeometry } from '../model/cache-report.js';

/**
 * Valgrind's own fallback when it cannot read the CPU's caches (cachegrind's docs: D1 65536 B,
 * 2-way, 64 B lines; LL 262144 B, 8-way, 64 B lines): used when sysfs says nothing.
 */
export const VALGRIND_FALLBACK_GEOMETRY: CacheGeometry = {
  d1: { sizeBytes: 65536, associativity: 2, lineBytes: 64 },
  ll: { sizeBytes: 262144, associativity: 8, lineBytes: 64 },
  source: 'preset valgrind-fallback (D1 64 KiB 2-way, LL 256 KiB 8-way, 64 B lines)',
};

/** The smallest line the simulator accepts: every access but a bulk one fits in two lines. */
export const MIN_LINE_BYTES = 16;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Number of sets of a level (a power of two once validated). */
export function setsOf(level: CacheLevelGeometry): number {
  return level.sizeBytes / (level.associativity * level.lineBytes);
}

/** Why `level` cannot be simulated, or undefined when it can. */
export function geometryProblem(level: CacheLevelGeometry): string | undefined {
  const { sizeBytes, associativity, lineBytes } = level;
  if (![sizeBytes, associativity, lineBytes].every((n) => Number.isInteger(n) && n > 0)) return 'size, associativity and line size must be positive integers';
  if (!isPowerOfTwo(lineBytes) || lineBytes < MIN_LINE_BYTES) return `the line size must be a power of two of at least ${MIN_LINE_BYTES} bytes, got ${lineBytes}`;
  if (sizeBytes % (associativity * lineBytes) !== 0) return `the size (${sizeBytes}) must be a multiple of associativity × line size (${associativity * lineBytes})`;
  if (!isPowerOfTwo(setsOf(level))) return `the number of sets (size / (associativity × line) = ${setsOf(level)}) must be a power of two`;
  return undefined;
}

/**
 * Parses cachegrind's `size,assoc,line` (bytes, ways, bytes), e.g. `32768,8,64`. Returns the
 * level, or the reason it is refused (the caller raises its own typed error).
 */
export function parseCacheLevel(text: string): CacheLevelGeometry | string {
  const parts = text.split(',');
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p.trim()))) return `expected size,assoc,line in bytes (e.g. 32768,8,64), got ${JSON.stringify(text)}`;
  const [sizeBytes, associativity, lineBytes] = parts.map((p) => Number(p.trim())) as [number, number, number];
  const level = { sizeBytes, associativity, lineBytes };
  return geometryProblem(level) ?? level;
}

/**
 * A level whose set count is not a power of two (a 12-way 48 KiB L1, a 30 MiB L3) keeps its
 * size with fewer sets and more ways: sets become the largest power of two dividing them.
 * cachegrind adjusts such LL caches too; the simulation then models a slightly more
 * associative cache than the real one.
 */
export function powerOfTwoSets(level: CacheLevelGeometry): CacheLevelGeometry {
  const sets = setsOf(level);
  if (!Number.isInteger(sets) || sets < 1 || isPowerOfTwo(sets)) return level;
  const pow2 = sets & -sets;
  return { ...level, associativity: level.associativity * (sets / pow2) };
}

/** One `/sys/devices/system/cpu/cpu0/cache/indexN/` directory, its files' text. */
export interface SysfsCacheEntry {
  readonly level?: string;
  readonly type?: string;
  readonly size?: string;
  readonly ways_of_associativity?: string;
  readonly coherency_line_size?: string;
}

function sysfsBytes(size: string | undefined): number | undefined {
  const match = /^\s*(\d+)\s*([KMG]?)\s*$/i.exec(size ?? '');
  if (match === null) return undefined;
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(match[1]) * unit;
}

function sysfsLevel(entry: SysfsCacheEntry): CacheLevelGeometry | undefined {
  const sizeBytes = sysfsBytes(entry.size);
  const associativity = Number(entry.ways_of_associativity?.trim());
  const lineBytes = Number(entry.coherency_line_size?.trim());
  if (sizeBytes === undefined) return undefined;
  const level = powerOfTwoSets({ sizeBytes, associativity, lineBytes });
  return geometryProblem(level) === undefined ? level : undefined;
}

/** What the source line says of a level simulated with more ways than sysfs gave it; '' when none were added. */
function adjustment(name: string, entry: SysfsCacheEntry, level: CacheLevelGeometry): string {
  const given = Number(entry.ways_of_associativity?.trim());
  return given === level.associativity ? '' : `; ${name} ${given}-way simulated as ${level.associativity}-way (sets rounded to a power of two, as cachegrind does)`;
}

/**
 * This machine's geometry from its sysfs entries: D1 is the level-1 data cache, LL the
 * highest-level unified one (as cachegrind picks them). Undefined when either is missing or
 * cannot be simulated.
 */
export function geometryFromSysfs(entries: readonly SysfsCacheEntry[], where: string): CacheGeometry | undefined {
  const levelOf = (e: SysfsCacheEntry): number => Number(e.level?.trim());
  const d1Entry = entries.find((e) => levelOf(e) === 1 && e.type?.trim() === 'Data');
  const unified = entries.filter((e) => e.type?.trim() === 'Unified' && levelOf(e) >= 2).sort((a, b) => levelOf(b) - levelOf(a));
  const d1 = d1Entry === undefined ? undefined : sysfsLevel(d1Entry);
  const ll = unified[0] === undefined ? undefined : sysfsLevel(unified[0]);
  if (d1 === undefined || ll === undefined) return undefined;
  const llName = `L${levelOf(unified[0]!)}`;
  return { d1, ll, source: `this machine (${where}, ${llName} as LL${adjustment('D1', d1Entry!, d1)}${adjustment(llName, unified[0]!, ll)})` };
}

/** `32768 B, 8-way, 64 B lines` */
export function describeLevel(level: CacheLevelGeometry): string {
  return `${level.sizeBytes} B, ${level.associativity}-way, ${level.lineBytes} B lines`;
}

/** The header every result prints: both levels, in cachegrind's syntax, and where they came from. */
export function describeGeometry(geometry: CacheGeometry): string {
  const arg = (l: CacheLevelGeometry): string => `${l.sizeBytes},${l.associativity},${l.lineBytes}`;
  return `D1 ${describeLevel(geometry.d1)} (--D1=${arg(geometry.d1)}); LL ${describeLevel(geometry.ll)} (--LL=${arg(geometry.ll)}); from ${geometry.source}`;
}
