/**
 * The analyzer's one interface: a rule reads plain profile data and returns what it found, or
 * says why it could not look. Rules are pure and small (one per file in `rules/`); `analyze.ts`
 * scores, ranks and lists the rules that passed, so silence is visible.
 */
import type { Finding, FindingCategory } from '../model/finding.js';
import type { ProfiledModule } from '../model/saved-profile.js';
import type { PoolProfile } from '../model/pool-profile.js';

/** One module as the analyzer sees it: its profile and what was measured beside it. */
export type AnalyzedModule = ProfiledModule;
export type { RunLimits } from '../model/saved-profile.js';

export interface AnalysisInput {
  readonly modules: readonly AnalyzedModule[];
  /** A worker pool's profile, when the calls ran on one. */
  readonly pool?: PoolProfile;
}

/** A finding before the analyzer ranks it (the score is the analyzer's). */
export type FindingDraft = Omit<Finding, 'score' | 'readMore' | 'category' | 'id' | 'guidanceLevel'>;

export type RuleOutcome =
  | { readonly state: 'ran'; readonly findings: readonly FindingDraft[] }
  | { readonly state: 'skipped'; readonly reason: string };

export interface AnalysisRule {
  /** Stable id: findings, docs/analysis.md anchors and CI filters name it. */
  readonly id: string;
  readonly category: FindingCategory;
  /** What a pass means, shown in the passed list ("No function holds most of the weight"). */
  readonly passedTitle: string;
  /** How direct its advice is (Lighthouse's guidance level): 3 the change and where, 2 a kind of change, 1 where to look. */
  readonly guidanceLevel: 1 | 2 | 3;
  run(input: AnalysisInput): RuleOutcome;
}

export const ran = (findings: readonly FindingDraft[]): RuleOutcome => ({ state: 'ran', findings });
export const skipped = (reason: string): RuleOutcome => ({ state: 'skipped', reason });
