/**
 * The per-module profile: plain, JSON-serialisable data. Builders (the host, later the
 * pool) produce it; the formatter, exporters and comparisons only read it.
 */
import type { ExportProfile, InstructionSummary } from '../build/call-recorder.js';
import type { FunctionStats, ProfileMode, WeightUnit } from './call-tree.js';
import { mergeLatency } from '../build/latency-histogram.js';
import type { AllocationReport } from './allocation-report.js';
import type { CacheReport } from './cache-report.js';

export const MODULE_PROFILE_SCHEMA = 'wasm-sandbox/module-profile@1' as const;

/** The host's module cache: lookups, compiles, and what it holds against its bounds. */
export interface CacheProfile {
  readonly hits: number;
  readonly misses: number;
  /** Requests that arrived while the same key was compiling and shared that compile. */
  readonly coalesced: number;
  readonly evictions: number;
  /** Values larger than `maxBytes` on their own: returned to the caller, never stored. */
  readonly oversize: number;
  /** Total milliseconds spent compiling misses. */
  readonly compileMs: number;
  readonly entries: number;
  /** Sum of the wasm byte sizes held (a proxy for compiled code size, which JS cannot see). */
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** Where the time went before the module's first call returned, ms. */
export interface ColdStart {
  /** Reading the source (0 for bytes already in memory). */
  readonly readMs: number;
  /** Hashing the bytes (0 when the host recognised an array it had hashed, by comparing its bytes). */
  readonly hashMs: number;
  /** `miss`: compiled by this load; `hit`: served from the module cache; `coalesced`: shared a concurrent compile. */
  readonly cache: 'hit' | 'miss' | 'coalesced';
  /** Time spent compiling (0 on a hit). */
  readonly compileMs: number;
  /** First instantiation, undefined until the module has been instantiated. */
  readonly instantiateMs: number | undefined;
  /** First call of any export, undefined until one returned. */
  readonly firstCallMs: number | undefined;
  readonly firstCallExport: string | undefined;
}

export interface MemoryProfile {
  readonly limitPages: number;
  /** Pages the module declared: initial and maximum (undefined = none declared). */
  readonly declaredInitialPages: number | undefined;
  readonly declaredMaximumPages: number | undefined;
  /** Whether the host rewrote the declared maximum down to the limit. */
  readonly capped: boolean;
  /** Largest guest memory seen across this module's instances, bytes. */
  readonly peakBytes: number;
}

export interface ModuleProfile {
  readonly schema: typeof MODULE_PROFILE_SCHEMA;
  readonly module: {
    /** SHA-256 of the bytes as loaded (before any host rewriting), hex. */
    readonly id: string;
    readonly label: string;
    readonly sizeBytes: number;
  };
  readonly instances: number;
  /** Passes the guest was rewritten with, when it was (see docs/instrumentation.md). */
  readonly instrumentation?: {
    readonly passes: readonly string[];
    readonly rewriteMs: number;
    readonly fromDiskCache: boolean;
  };
  readonly coldStart: ColdStart;
  readonly memory: MemoryProfile;
  /** The host's module cache at the time of the snapshot (shared by every module of that host). */
  readonly cache: CacheProfile;
  /** Exports that were called, by name. */
  readonly exports: readonly ExportProfile[];
  /** Guest functions by self weight, when a profiler watched this module's sandboxes. */
  readonly functions?: {
    readonly mode: ProfileMode;
    readonly unit: WeightUnit;
    readonly total: number;
    readonly top: readonly FunctionStats[];
  };
  /** Allocation tracking, when an allocation tracker watched this module's sandboxes. */
  readonly allocations?: AllocationReport;
  /** Cache simulation, when a cache simulator watched this module's memory accesses. */
  readonly cacheSimulation?: CacheReport;
}

/**
 * Merges profiles of the same module (from several instances, workers or processes):
 * counts add, histograms merge, memory peaks take the maximum. Cold start and cache
 * come from the first profile.
 */
export function mergeModuleProfiles(profiles: readonly ModuleProfile[]): ModuleProfile {
  const first = profiles[0];
  if (first === undefined) throw new RangeError('mergeModuleProfiles needs at least one profile');
  for (const p of profiles) {
    if (p.module.id !== first.module.id) {
      throw new RangeError(`cannot merge profiles of different modules (${first.module.id} and ${p.module.id})`);
    }
  }
  const byName = new Map<string, ExportProfile[]>();
  for (const p of profiles) for (const e of p.exports) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  const exports = [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, parts]) => mergeExport(name, parts));
  return {
    ...first,
    instances: profiles.reduce((n, p) => n + p.instances, 0),
    memory: { ...first.memory, peakBytes: Math.max(...profiles.map((p) => p.memory.peakBytes)) },
    exports,
  };
}

function mergeExport(name: string, parts: readonly ExportProfile[]): ExportProfile {
  const sum = (pick: (e: ExportProfile) => number): number => parts.reduce((n, e) => n + pick(e), 0);
  const errors: Record<string, number> = {};
  for (const part of parts) for (const [code, n] of Object.entries(part.errors)) errors[code] = (errors[code] ?? 0) + n;
  const rates = parts.map((e) => e.callsPerSecond).filter((r): r is number => r !== undefined);
  const latest = parts[parts.length - 1]!;
  return {
    name,
    calls: sum((e) => e.calls),
    ok: sum((e) => e.ok),
    errors,
    latency: mergeLatency(parts.map((e) => e.latency)),
    timing: {
      ...latest.timing,
      timedCalls: sum((e) => e.timing.timedCalls),
      sampledCalls: sum((e) => e.timing.sampledCalls),
    },
    totalMs: sum((e) => e.totalMs),
    // Parts ran side by side (instances, workers): their rates add up.
    callsPerSecond: rates.length === 0 ? undefined : rates.reduce((a, b) => a + b, 0),
    memory: {
      growthEvents: sum((e) => e.memory.growthEvents),
      bytesGrown: sum((e) => e.memory.bytesGrown),
      bytesBefore: latest.memory.bytesBefore,
      bytesAfter: latest.memory.bytesAfter,
    },
    bytesIn: sum((e) => e.bytesIn),
    bytesOut: sum((e) => e.bytesOut),
    instructions: sum((e) => e.instructions),
    ...mergeInstructions(parts),
  };
}

function mergeInstructions(parts: readonly ExportProfile[]): { instructionsPerCall?: InstructionSummary } {
  const summaries = parts.map((e) => e.instructionsPerCall).filter((s): s is InstructionSummary => s !== undefined);
  if (summaries.length === 0) return {};
  // The same histogram encoding as latency: merged by adding counts.
  return { instructionsPerCall: { ...mergeLatency(summaries.map((s) => ({ ...s, unit: 'ns' as const }))), unit: 'instructions' } };
}
