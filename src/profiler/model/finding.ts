/**
 * A finding: what the analyzer says about a profile, as plain data. Rules
 * (`profiler/analyze/`) make them; the CLI, the report and the tuner's dry run read them.
 */
export const ANALYSIS_SCHEMA = 'wasm-sandbox/analysis@1' as const;

export type FindingCategory = 'cpu' | 'allocation' | 'locality' | 'host-boundary' | 'limits' | 'cold-start' | 'pool' | 'errors';
export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface Evidence {
  readonly label: string;
  readonly value: number;
  /** 'ns', 'bytes', 'calls', '%', 'instructions', 'misses', … */
  readonly unit: string;
}

export type Confidence =
  | { readonly kind: 'exact' }
  | { readonly kind: 'interval'; readonly low: number; readonly high: number; readonly level: number }
  | { readonly kind: 'p-value'; readonly p: number };

export interface Finding {
  /** Stable rule id, e.g. `hot-function`. */
  readonly id: string;
  readonly category: FindingCategory;
  readonly severity: Severity;
  readonly title: string;
  readonly where: {
    readonly module?: string;
    readonly export?: string;
    readonly function?: string;
    readonly path?: readonly string[];
    readonly site?: string;
  };
  readonly evidence: readonly Evidence[];
  readonly recommendation: string;
  readonly saving: { readonly value: number; readonly unit: string; readonly share?: number; readonly how: string };
  readonly confidence: Confidence;
  /** saving × confidence, what findings are ranked by. */
  readonly score: number;
  /**
   * How the severity was read off the rule's log-normal curve (Lighthouse's scoring): the
   * measured value, the curve's control points (`p10` scores 0.9, `median` 0.5; lower is
   * better) and the resulting 0..1 score. Absent when a rule rates by count alone.
   */
  readonly rating?: { readonly metric: string; readonly value: number; readonly p10: number; readonly median: number; readonly score: number };
  /** Where the rule, its thresholds and its advice are explained (docs/analysis.md#id). */
  readonly readMore?: string;
  /**
   * Lighthouse's guidance level: how direct the advice is — 3 names the change and where (one
   * function, one site), 2 names a kind of change, 1 points where to look.
   */
  readonly guidanceLevel?: 1 | 2 | 3;
}

export interface AnalysisReport {
  readonly schema: typeof ANALYSIS_SCHEMA;
  /** Ranked, highest score first. */
  readonly findings: readonly Finding[];
  /** Rules that ran and found nothing, so silence is visible. */
  readonly passed: readonly { readonly id: string; readonly title: string }[];
  /** Rules that could not run: the data they read was not in the profile (no call tree, no cache simulation…). */
  readonly skipped?: readonly { readonly id: string; readonly title: string; readonly reason: string }[];
}
