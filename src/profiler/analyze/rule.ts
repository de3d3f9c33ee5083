/**
 * The analyzer's one interface: a rule reads plain profile data and returns what it found, or
 * says why it could not look. Rules are pure and small (one per file in `rules/`); `analyze.ts`
 * scores, ranks and lists the rules that passed, so silence is visible.
 */
import type { CallTree } from '../model/call-tree.js';
import type { Finding, FindingCategory } from '../model/finding.js';
import type { HookOverhead } from '../model/call-tree.js';
import type { ModuleProfile } from '../model/module-profile.js';
import type { PoolProfile } from '../model/pool-profile.js';

/** The limits the module's calls ran under, when the caller knows them. */
export interface RunLimits {
  /** Instructions per call (fuel). */
  readonly fuel?: number;
  /** Deadline per call, ms. */
  readonly timeoutMs?: number;
}

/** One module as the analyzer sees it: its profile and what was measured beside it. */
export interface AnalyzedModule {
  readonly profile: ModuleProfile;
  /** The guest call tree (any mode), when a profiler watched the module. */
  readonly tree?: CallTree;
  readonly limits?: RunLimits;
  /** The hook cost calibrated in the process that measured an instrumented (ns) tree. */
  readonly hookOverhead?: HookOverhead;
  /**
   * What one host → guest call of an empty export costs, ns, measured the way the profile's
   * latencies are (around the guest call): the host-boundary rule's yardstick.
   */
  readonly callOverheadNs?: number;
}

export interface AnalysisInput {
  readonly modules: readonly AnalyzedModule[];
  /** A worker pool's profile, when the calls ran on one. */
  readonly pool?: PoolProfile;
}

/** A finding before the analyzer ranks it (the score is the analyzer's). */
export type FindingDraft = Omit<Finding, 'score' | 'readMore' | 'category' | 'id'>;

export type RuleOutcome =
  | { readonly state: 'ran'; readonly findings: readonly FindingDraft[] }
  | { readonly state: 'skipped'; readonly reason: string };

export interface AnalysisRule {
  /** Stable id: findings, docs/analysis.md anchors and CI filters name it. */
  readonly id: string;
  readonly category: FindingCategory;
  /** What a pass means, shown in the passed list ("No function holds most of the weight"). */
  readonly passedTitle: string;
  run(input: AnalysisInput): RuleOutcome;
}

export const ran = (findings: readonly FindingDraft[]): RuleOutcome => ({ state: 'ran', findings });
export const skipped = (reason: string): RuleOutcome => ({ state: 'skipped', reason });
