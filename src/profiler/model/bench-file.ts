/**
 * The one result shape every benchmark writes to `bench/results/*.json` (bench/README.md):
 * each row carries its same-run baseline, so ratios survive a noisy machine. The benches
 * write it (bench/report.ts); the HTML report reads it.
 */
export const BENCH_FILE_SCHEMA = 'wasm-sandbox/bench@1' as const;

export interface BenchResult {
  readonly benchmark: string;
  readonly case: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio?: number;
  /** Target the issue set, as text (e.g. "ratio <= 1.5"), and whether this run met it. */
  readonly target?: string;
  readonly met?: boolean;
}

export interface BenchFile {
  readonly schema: typeof BENCH_FILE_SCHEMA;
  readonly benchmark: string;
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly memoryBytes: number; readonly platform: string; readonly arch: string };
  readonly versions: Readonly<Record<string, string>>;
  readonly results: readonly BenchResult[];
}
