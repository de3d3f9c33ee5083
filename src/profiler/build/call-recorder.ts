/**
 * Per-export call metrics, always on. A clock read costs ≈47 ns here and a raw wasm call
 * ≈3 ns, so timing every call would dwarf what it measures. The policy (docs/metrics.md):
 *
 * - every call is counted, with its outcome and memory growth: exact, no clock needed;
 * - a call is timed whenever the export has recently been slow (≥ `thresholdNs`): timing
 *   then costs under 2 % of the call;
 * - once `warmup` consecutive timed calls are all fast, the export switches to sampled
 *   timing: one call in `sampleInterval` is timed and recorded in the histogram with the
 *   weight of the calls it stands for; the first sampled call at or over the threshold
 *   switches back to timing every call.
 *
 * The host's call wrappers read and write the public counters directly (no per-call
 * allocation); everything else is plain data produced by `snapshot()`.
 */
import {
  createLatencyHistogram,
  releaseHistogram,
  summarizeHistogram,
  type LatencyHistogram,
  type LatencySummary,
} from './latency-histogram.js';

export interface TimingPolicy {
  /** `adaptive` (default) samples fast exports; `every` times every call. */
  readonly mode: 'adaptive' | 'every';
  /** Calls at or above this many ns are always timed. @default 5000 */
  readonly thresholdNs: number;
  /** In sampled mode, one call in this many is timed. @default 32 */
  readonly sampleInterval: number;
  /** Consecutive fast timed calls before sampling starts. @default 64 */
  readonly warmup: number;
}

const STAGED_VALUES = 64;

export const DEFAULT_TIMING: TimingPolicy = { mode: 'adaptive', thresholdNs: 5000, sampleInterval: 32, warmup: 64 };

export interface ExportProfile {
  readonly name: string;
  /** Every call that entered the guest, whatever its outcome: exact. */
  readonly calls: number;
  readonly ok: number;
  /** Failed calls by error code (ERR_WASM_TRAP, ERR_GUEST_ABORT, …): exact. */
  readonly errors: Readonly<Record<string, number>>;
  readonly latency: LatencySummary;
  readonly timing: {
    readonly mode: TimingPolicy['mode'];
    readonly thresholdNs: number;
    readonly sampleInterval: number;
    /** Calls whose latency was measured individually. */
    readonly timedCalls: number;
    /** Of those, calls timed as a sample standing for `sampleInterval` calls. */
    readonly sampledCalls: number;
  };
  /** Estimated time inside the guest, ms (weighted histogram sum). */
  readonly totalMs: number;
  /** Calls per second of wall time between the first and the latest timed call; undefined until measurable. */
  readonly callsPerSecond: number | undefined;
  readonly memory: {
    /** Calls during which the guest memory grew. */
    readonly growthEvents: number;
    readonly bytesGrown: number;
    /** Memory size before and after the latest call that changed it, or the latest call. */
    readonly bytesBefore: number;
    readonly bytesAfter: number;
  };
  /** Bytes copied into / out of guest memory for typed arguments and results. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Instructions executed by all calls (fuel-instrumented modules; 0 otherwise). Deterministic. */
  readonly instructions: number;
  /**
   * Instructions per call, from an HDR histogram of every call's count (fuel-instrumented
   * modules only): percentiles within 0.1 %, for limit checks against the fuel.
   */
  readonly instructionsPerCall?: InstructionSummary;
}

/** A distribution of per-call instruction counts: a latency summary's shape, in instructions. */
export type InstructionSummary = Omit<LatencySummary, 'unit'> & { readonly unit: 'instructions' };

export class CallRecorder {
  /** Completed calls (ok + failed). */
  calls = 0;
  /** Calls left before the next timed one; 1 means "time the next call". */
  countdown = 1;
  bytesIn = 0;
  bytesOut = 0;
  /** Latency of the most recent timed call, ns. */
  lastNs = 0;
  /** Instructions executed by all calls, when the module counts them (fuel instrumentation). */
  instructions = 0;

  /**
   * Timed values wait here (ns, weight pairs) until the buffer fills or a snapshot is taken:
   * building an HdrHistogram costs tens of µs, too much for a sandbox's first call.
   */
  private readonly staged: number[] = [];
  /** Per-call instruction counts waiting for their histogram (fuel-instrumented modules). */
  private readonly stagedInstructions: number[] = [];
  private instructionHistogram: LatencyHistogram | undefined;
  private histogram: LatencyHistogram | undefined;
  private failures: Record<string, number> | undefined;
  private failed = 0;
  private weight = 1;
  private fastStreak = 0;
  private timedCalls = 0;
  private sampledCalls = 0;
  private firstStartMs = -1;
  private lastEndMs = -1;
  private callsAtLastEnd = 0;
  private growthEvents = 0;
  private bytesGrown = 0;
  private bytesBefore = 0;
  private bytesAfter = 0;

  constructor(
    readonly name: string,
    readonly policy: TimingPolicy = DEFAULT_TIMING,
  ) {}

  /** Records a timed call that started and ended at these `performance.now()` readings. */
  timed(startMs: number, endMs: number): void {
    this.calls++;
    const ns = Math.max(1, Math.round((endMs - startMs) * 1e6));
    this.lastNs = ns;
    this.staged.push(ns, this.weight);
    if (this.staged.length === STAGED_VALUES * 2) this.flush();
    this.timedCalls++;
    if (this.weight > 1) this.sampledCalls++;
    if (this.firstStartMs < 0) this.firstStartMs = startMs;
    this.lastEndMs = endMs;
    this.callsAtLastEnd = this.calls;
    this.adapt(ns);
  }

  /** Records a failed call (counted; timed when `startMs`/`endMs` are given). */
  failure(code: string, startMs?: number, endMs?: number): void {
    if (startMs !== undefined && endMs !== undefined) this.timed(startMs, endMs);
    else this.calls++;
    this.failed++;
    const failures = (this.failures ??= {});
    failures[code] = (failures[code] ?? 0) + 1;
  }

  /** A call of a fuel-instrumented module executed `spent` instructions. */
  countInstructions(spent: number): void {
    this.instructions += spent;
    this.stagedInstructions.push(spent);
    if (this.stagedInstructions.length === STAGED_VALUES) this.flushInstructions();
  }

  private flushInstructions(): LatencyHistogram {
    const histogram = (this.instructionHistogram ??= createLatencyHistogram(this));
    for (const value of this.stagedInstructions) histogram.recordValue(value);
    this.stagedInstructions.length = 0;
    return histogram;
  }

  memoryChanged(before: number, after: number): void {
    this.bytesBefore = before;
    this.bytesAfter = after;
    if (after > before) {
      this.growthEvents++;
      this.bytesGrown += after - before;
    }
  }

  private adapt(ns: number): void {
    const { mode, thresholdNs, sampleInterval, warmup } = this.policy;
    if (mode === 'every') return;
    if (ns >= thresholdNs) {
      this.fastStreak = 0;
      this.weight = 1;
      this.countdown = 1;
      return;
    }
    if (this.weight > 1) {
      this.countdown = sampleInterval;
      return;
    }
    if (++this.fastStreak >= warmup) {
      this.weight = sampleInterval;
      this.countdown = sampleInterval;
    }
  }

  private flush(): LatencyHistogram {
    const histogram = (this.histogram ??= createLatencyHistogram(this));
    const staged = this.staged;
    for (let i = 0; i < staged.length; i += 2) histogram.recordValueWithCount(staged[i]!, staged[i + 1]!);
    staged.length = 0;
    return histogram;
  }

  snapshot(): ExportProfile {
    const latency = summarizeHistogram(this.flush());
    const windowMs = this.lastEndMs - this.firstStartMs;
    return {
      name: this.name,
      calls: this.calls,
      ok: this.calls - this.failed,
      errors: { ...(this.failures ?? {}) },
      latency,
      timing: {
        mode: this.policy.mode,
        thresholdNs: this.policy.thresholdNs,
        sampleInterval: this.policy.sampleInterval,
        timedCalls: this.timedCalls,
        sampledCalls: this.sampledCalls,
      },
      totalMs: (latency.mean * latency.count) / 1e6,
      callsPerSecond: this.callsAtLastEnd > 1 && windowMs > 0 ? (this.callsAtLastEnd * 1000) / windowMs : undefined,
      memory: {
        growthEvents: this.growthEvents,
        bytesGrown: this.bytesGrown,
        bytesBefore: this.bytesBefore,
        bytesAfter: this.bytesAfter,
      },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      instructions: this.instructions,
      ...(this.instructionHistogram === undefined && this.stagedInstructions.length === 0
        ? {}
        : { instructionsPerCall: { ...summarizeHistogram(this.flushInstructions()), unit: 'instructions' as const } }),
    };
  }

  /** Frees the histogram now rather than at garbage collection. */
  close(): void {
    if (this.histogram !== undefined) releaseHistogram(this.histogram);
    this.histogram = undefined;
    this.staged.length = 0;
    if (this.instructionHistogram !== undefined) releaseHistogram(this.instructionHistogram);
    this.instructionHistogram = undefined;
    this.stagedInstructions.length = 0;
  }
}
