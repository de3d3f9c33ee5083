/**
 * The tuner's trials as findings (src/profiler/model/finding.ts): a dry run's recommendations,
 * and the changes a live or offline run kept, each with the measured ratio and its interval.
 */
import type { Finding } from '../profiler/model/finding.js';
import type { TrialRecord, TuningLog } from '../profiler/model/tuning.js';

/** Better is higher for throughput, lower for CPU per call: the gain as a positive share. */
function gain(log: TuningLog, trial: TrialRecord): { share: number; low: number; high: number } {
  const r = trial.figures!.ratio;
  return log.objective.startsWith('maximise throughput')
    ? { share: r.estimate - 1, low: r.low - 1, high: r.high - 1 }
    : { share: 1 - r.estimate, low: 1 - r.high, high: 1 - r.low };
}

export function tuningFindings(log: TuningLog): Finding[] {
  const kept = log.trials.filter((t) => (t.decision === 'recommended' || t.decision === 'accepted') && t.figures !== undefined);
  // One finding per setting and value: a re-probe that recommends the same move again is the same finding.
  const latest = new Map<string, TrialRecord>();
  for (const trial of kept) latest.set(`${trial.setting}=${trial.candidate}`, trial);
  return [...latest.values()]
    .map((trial): Finding => {
      const g = gain(log, trial);
      const unit = log.objective.startsWith('maximise throughput') ? 'calls/s' : 'µs CPU per call';
      const f = trial.figures!;
      return {
        id: 'pool-setting',
        category: 'pool',
        severity: g.share >= 0.2 ? 'high' : g.share >= 0.1 ? 'medium' : 'low',
        title: `${trial.setting} ${trial.incumbent} → ${trial.candidate}: ${(g.share * 100).toFixed(1)} % better (${log.objective})`,
        where: {},
        evidence: [
          { label: `${trial.setting} = ${trial.incumbent} (median of ${trial.epochs.filter((e) => e.arm === 'incumbent').length} epochs)`, value: f.incumbent.estimate, unit },
          { label: `${trial.setting} = ${trial.candidate} (median of ${trial.epochs.filter((e) => e.arm === 'candidate').length} epochs)`, value: f.candidate.estimate, unit },
          { label: 'Mann–Whitney p', value: f.p, unit: 'p' },
        ],
        recommendation:
          trial.setting === 'ringBytes'
            ? `pass { ringBytes: ${trial.candidate} } to createPool (rings are fixed for a pool's life)`
            : trial.decision === 'accepted'
              ? `kept by the tuner; to start there, pass { ${trial.setting}: ${trial.candidate} } to createPool`
              : `pass { ${trial.setting}: ${trial.candidate} } to createPool, or pool.configure({ ${trial.setting}: ${trial.candidate} })`,
        saving: { value: g.share * 100, unit: '%', share: g.share, how: 'measured in interleaved epochs of the incumbent and this setting' },
        confidence: { kind: 'interval', low: g.low * 100, high: g.high * 100, level: f.ratio.level },
        score: g.low * 100,
      };
    })
    .sort((a, b) => b.score - a.score);
}
