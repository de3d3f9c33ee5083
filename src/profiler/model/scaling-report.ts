/**
 * How an export's cost grows with its input (`wasm-sandbox scale`): per size, the instructions
 * the whole call executed (exact) and each function's inclusive instructions, the complexity
 * fitted to each, timings beside them, and the functions whose growth is worse than the
 * export's. Plain data; `profiler/analyze/scaling.ts` builds it from measurements.
 */
import type { ComplexityFit } from '../analyze/complexity-fit.js';
import type { FrameIdentity } from './call-tree.js';

export const SCALING_REPORT_SCHEMA = 'wasm-sandbox/scaling-report@1' as const;

/** What was measured at one size. */
export interface ScalingSample {
  readonly n: number;
  /** Instructions executed by the whole call (fuel counter): exact. */
  readonly instructions: number;
  /** Each guest function's inclusive instructions and calls during the call. */
  readonly functions: readonly (FrameIdentity & { readonly total: number; readonly calls: number })[];
  /** Median wall-clock latency of the uninstrumented call, ns (noisy; shown beside the exact fit). */
  readonly timeNs?: number;
}

export interface FittedSeries {
  readonly best: ComplexityFit;
  readonly candidates: readonly ComplexityFit[];
}

export interface FunctionScaling extends FrameIdentity {
  /** Inclusive instructions per size (0 where it did not run). */
  readonly totals: readonly number[];
  readonly calls: readonly number[];
  readonly fit: FittedSeries;
  /** Its share of the call's instructions at the largest size. */
  readonly shareAtLargest: number;
  /** Grows faster than the export as a whole. */
  readonly worseThanExport: boolean;
  /** Where its fitted cost would reach half the call's fitted cost, when it grows faster (and that is within 1e12). */
  readonly overtakesAt?: number;
}

export interface ScalingReport {
  readonly schema: typeof SCALING_REPORT_SCHEMA;
  readonly module: string;
  readonly export: string;
  readonly sizes: readonly number[];
  /** The whole call's instructions per size and their fit. */
  readonly call: { readonly instructions: readonly number[]; readonly fit: FittedSeries };
  /** Median wall-clock ns per size and their fit, when timed. */
  readonly timing?: { readonly ns: readonly number[]; readonly fit: FittedSeries };
  /** Functions that ran at every size, heaviest at the largest size first. */
  readonly functions: readonly FunctionScaling[];
}
