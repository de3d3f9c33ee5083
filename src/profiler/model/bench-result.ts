/**
 * The one result shape every benchmark writes (bench/README.md documents it) and `compare` reads.
 * @2 keeps every round's sample beside the median, so two runs can be compared with statistics;
 * @1 files (the median only) stay readable as one sample each.
 */
export const BENCH_SCHEMA = 'wasm-sandbox/bench@2' as const;
export const BENCH_SCHEMAS = ['wasm-sandbox/bench@1', BENCH_SCHEMA] as const;

export interface BenchResult {
  readonly benchmark: string;
  readonly case: string;
  readonly metric: string;
  /** The measurement: the median of `samples` when there are samples. */
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio?: number;
  /** Target the issue set, as text (e.g. "ratio <= 1.5"), and whether this run met it. */
  readonly target?: string;
  readonly met?: boolean;
  /** @2: every measured round's value (warm-up rounds dropped), in round order. */
  readonly samples?: readonly number[];
  /** @2: a count that does not vary run to run (instructions, allocations): compared exactly. */
  readonly deterministic?: boolean;
  /** @2: which direction is good (default: lower, or higher for units per second). */
  readonly better?: 'lower' | 'higher';
}

export interface BenchFile {
  readonly schema: (typeof BENCH_SCHEMAS)[number];
  readonly benchmark: string;
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly memoryBytes: number; readonly platform: string; readonly arch: string };
  readonly versions: Readonly<Record<string, string>>;
  readonly results: readonly BenchResult[];
}
