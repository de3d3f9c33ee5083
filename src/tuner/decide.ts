/**
 * The tuner's decisions, pure: epochs' figures and the settings in force go in, the next epoch
 * to run (which settings, how long) comes out, and every trial is written down as data. No
 * clock, no pool, no I/O; randomness comes from a seeded generator, so a run is reproducible.
 *
 *   measuring ──(load steady, pool not app-limited, cooldown over)──► trial of one knob
 *      ▲                                                              │ incumbent and candidate
 *      │                                                              │ alternate, epoch by epoch
 *      │◄── accepted (beyond the dead band, p < α) ── keep climbing ──┤ (ABAB, first arm random,
 *      │◄── rejected / within noise ── try the other way, or settle ──┤  epochs jittered)
 *      │◄── guard breached on a candidate epoch ── reverted at once ──┤
 *      │◄── offered load changed within an arm ── abandoned ──────────┘
 *      (an abandoned trial lengthens the epochs, up to maxEpochScale: a bursty load's bursts average out;
 *       an inconclusive one lengthens that knob's, and the knobs on shorter epochs go first)
 *   every knob settled ──► wait (re-probe period, jittered) ──► try them all again
 *
 * Anchors: .NET's hill climbing (move one bounded step only when the signal clears the noise,
 * cooldown after a move), Netflix's Gradient2 (no growth while the pool is app-limited), Envoy's
 * adaptive concurrency (periodic re-measurement with jitter). The test is Mann–Whitney U on the
 * per-epoch figures, and the verdict criterion's rule (compare/statistics.ts): a candidate wins
 * only when the whole interval of its ratio to the incumbent lies beyond the noise threshold.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { compareSamples, decideVerdict } from '../profiler/compare/statistics.js';
import type { EpochFigures, LiveSettings, TrialRecord, TuningLog } from '../profiler/model/tuning.js';
import { neighbour, withSetting, type Knob } from './knobs.js';
import { better, describeObjective, guardBreach, objectiveFigure, type Objective } from './objective.js';

/** Every default of the controller, once (TSDoc and docs/tuner.md repeat them). */
export const TUNER_DEFAULTS = {
  /** Incumbent/candidate pairs per trial: 5 pairs, 10 epochs (Mann–Whitney can reach p ≈ 0.008). */
  pairs: 5,
  /** An epoch lasts at least this many calls and this long (each jittered by ±jitter). */
  epochCalls: 2000,
  epochMs: 250,
  jitter: 0.2,
  /** Dead band: the whole interval of candidate/incumbent must lie beyond ±3 %. */
  threshold: 0.03,
  /** .NET's rule: the change of the medians must be at least this many epoch standard deviations. */
  snr: 3,
  alpha: 0.05,
  /** Incumbent epochs whose arrival rates must agree before a trial starts. */
  stableEpochs: 3,
  /** Arrival rates (within one arm) further apart than this share mean the offered load changed. */
  loadTolerance: 0.2,
  /** A pool idle (no call outstanding) in at least this share of samples waits for its callers. */
  appLimitedIdleShare: 0.5,
  /**
   * An inconclusive trial (not significant, or under the signal-to-noise bar) is run again with
   * epochs twice as long, up to this many times the base size, after the knobs whose trials
   * are shorter; a conclusive one halves that knob's length. A trial abandoned because the load
   * moved lengthens every epoch the same way (the load's noise is every knob's).
   */
  maxEpochScale: 8,
  /** Incumbent-only epochs after a move. */
  cooldownEpochs: 3,
  /** Incumbent-only epochs after every knob settled, before trying them all again (jittered). */
  reprobeEpochs: 40,
  /** Trials kept in the log. */
  keptTrials: 200,
  seed: 1,
} as const;

export interface ControllerOptions {
  readonly objective: Objective;
  readonly knobs: readonly Knob[];
  /** Only recommend: an accepted candidate is reported, and the incumbent stays. @default false */
  readonly dryRun?: boolean;
  readonly pairs?: number;
  readonly epochCalls?: number;
  readonly epochMs?: number;
  readonly jitter?: number;
  readonly threshold?: number;
  readonly snr?: number;
  readonly alpha?: number;
  readonly stableEpochs?: number;
  readonly loadTolerance?: number;
  readonly appLimitedIdleShare?: number;
  readonly cooldownEpochs?: number;
  readonly maxEpochScale?: number;
  readonly reprobeEpochs?: number;
  readonly seed?: number;
}

/** Run the pool under `settings` for at least `minCalls` calls and `minMs` milliseconds, then report the epoch. */
export interface EpochCommand {
  readonly arm: 'incumbent' | 'candidate';
  readonly settings: LiveSettings;
  readonly minCalls: number;
  readonly minMs: number;
}

interface KnobState {
  direction: 1 | -1;
  triedUp: boolean;
  triedDown: boolean;
  /** Values it was accepted at, latest last: a return to one of them is oscillation. */
  readonly accepted: number[];
  /** Multiplies the dead band after an oscillation (1, 2, 4). */
  damping: number;
  /**
   * Epoch length of this knob's next trial, as a multiple of the base size: doubled after an
   * inconclusive trial (its effect, if any, is small against the noise), halved after a conclusive one.
   */
  scale: number;
}

type Phase =
  | { readonly kind: 'measuring'; wait: number; readonly epochs: EpochFigures[]; why: string }
  | {
      readonly kind: 'trial';
      readonly knob: number;
      /** The incumbent's value of the knob when the trial began. */
      readonly from: number;
      readonly candidate: number;
      readonly first: 'incumbent' | 'candidate';
      readonly epochs: EpochFigures[];
    };

type Resolved = Required<Omit<ControllerOptions, 'knobs' | 'objective' | 'dryRun'>>;

export class TuningController {
  private incumbent: LiveSettings;
  private phase: Phase;
  private readonly knobs: readonly Knob[];
  private readonly state: KnobState[];
  private cursor = 0;
  private readonly trials: TrialRecord[] = [];
  private nextTrial = 1;
  private readonly rng: ReturnType<typeof xoroshiro128plus>;
  private readonly o: Resolved;
  private readonly dryRun: boolean;
  /** Epoch length as a multiple of the base size, for the load: grows while trials are abandoned because it varies. */
  private loadScale = 1;
  /** The epoch multiple of the trial running (the load's times the knob's, at most maxEpochScale). */
  private trialScale = 1;

  constructor(
    start: LiveSettings,
    private readonly options: ControllerOptions,
  ) {
    this.incumbent = start;
    this.knobs = options.knobs;
    this.dryRun = options.dryRun === true;
    const { knobs: _k, objective: _o, dryRun: _d, ...rest } = options;
    this.o = { ...TUNER_DEFAULTS, ...stripUndefined(rest) } as Resolved;
    if (!(Number.isInteger(this.o.pairs) && this.o.pairs >= 2)) throw new RangeError(`pairs must be an integer ≥ 2, got ${this.o.pairs}`);
    this.rng = xoroshiro128plus(this.o.seed);
    // Which way each knob is tried first: up when maximising throughput; down when minimising CPU
    // per call, where spinning (caller, workers) and idle threads are what the CPU pays for.
    const firstWay = (knob: Knob): 1 | -1 => (options.objective.kind === 'cpu-per-call' && knob.setting !== 'wakeBatch' ? -1 : 1);
    this.state = this.knobs.map((knob) => ({ direction: firstWay(knob), triedUp: false, triedDown: false, accepted: [], damping: 1, scale: 1 }));
    // Minimising CPU, the workers' spin goes first: each idle worker burns a core while it spins.
    if (options.objective.kind === 'cpu-per-call') this.cursor = Math.max(0, this.knobs.findIndex((knob) => knob.setting === 'workerSpin'));
    this.phase = { kind: 'measuring', wait: 0, epochs: [], why: 'measuring the incumbent' };
  }

  /** The settings kept between trials. */
  get settings(): LiveSettings {
    return this.incumbent;
  }

  /** The first epoch to run. */
  first(): EpochCommand {
    return this.command('incumbent', this.incumbent);
  }

  /** The epoch the last command asked for, measured: what to run next. */
  next(epoch: EpochFigures): EpochCommand {
    const phase = this.phase;
    if (phase.kind === 'measuring') return this.measured(phase, epoch);
    return this.trialEpoch(phase, epoch);
  }

  /** The trials so far and what the controller is doing, as data. */
  log(mode: TuningLog['mode']): TuningLog {
    const state = this.phase.kind === 'trial' ? `trial of ${this.knobs[this.phase.knob]!.setting}: ${this.incumbent[this.knobs[this.phase.knob]!.setting]} against ${this.phase.candidate}` : this.phase.why;
    return { mode, objective: describeObjective(this.options.objective), state, incumbent: this.incumbent, trials: [...this.trials] };
  }

  private measured(phase: Extract<Phase, { kind: 'measuring' }>, epoch: EpochFigures): EpochCommand {
    phase.epochs.push(epoch);
    if (phase.epochs.length > this.o.stableEpochs) phase.epochs.shift();
    if (phase.wait > 0) {
      phase.wait--;
      if (phase.wait === 0 && phase.why.startsWith('converged')) this.reprobe();
      return this.command('incumbent', this.incumbent);
    }
    if (phase.epochs.length < this.o.stableEpochs) return this.command('incumbent', this.incumbent);
    if (this.loadChanged(phase.epochs)) {
      phase.why = 'waiting: the offered load is changing';
      return this.command('incumbent', this.incumbent);
    }
    const appLimited = median(phase.epochs.map((e) => e.idleShare)) >= this.o.appLimitedIdleShare;
    if (appLimited && this.options.objective.kind === 'throughput') {
      phase.why = 'waiting: the pool is app-limited (its callers, not its settings, bound the throughput)';
      return this.command('incumbent', this.incumbent);
    }
    const trial = this.pickTrial(appLimited);
    if (trial === undefined) {
      this.phase = { kind: 'measuring', wait: this.jittered(this.o.reprobeEpochs), epochs: [], why: 'converged: every knob settled; re-probing later' };
      return this.command('incumbent', this.incumbent);
    }
    const first = uniformInt(this.rng, 0, 1) === 0 ? 'incumbent' : 'candidate';
    this.trialScale = this.scaleOf(this.state[trial.knob]!);
    this.phase = { kind: 'trial', knob: trial.knob, from: this.incumbent[this.knobs[trial.knob]!.setting], candidate: trial.candidate, first, epochs: [] };
    return this.armCommand(first, trial.knob, trial.candidate);
  }

  /**
   * The next knob with a rung to try in a direction not tried yet: the cheapest first (the
   * shortest epochs — a knob whose last trial was inconclusive waits until the others had theirs,
   * so a large effect elsewhere is found before a small one is chased), round robin among equals.
   */
  private pickTrial(appLimited: boolean): { knob: number; candidate: number } | undefined {
    let pick: { knob: number; candidate: number; direction: 1 | -1 } | undefined;
    for (let step = 0; step < this.knobs.length; step++) {
      const index = (this.cursor + step) % this.knobs.length;
      const knob = this.knobs[index]!;
      const state = this.state[index]!;
      if (pick !== undefined && state.scale >= this.state[pick.knob]!.scale) continue;
      for (const direction of [state.direction, -state.direction as 1 | -1]) {
        if (direction > 0 ? state.triedUp : state.triedDown) continue;
        // No growth of the thread count while the callers, not the pool, bound the load (Gradient2).
        const blocked = appLimited && knob.setting === 'threads' && direction > 0;
        const candidate = blocked ? undefined : neighbour(knob, this.incumbent[knob.setting], direction);
        if (candidate === undefined) {
          this.tried(state, direction);
          continue;
        }
        pick = { knob: index, candidate, direction };
        break;
      }
    }
    if (pick === undefined) return undefined;
    this.state[pick.knob]!.direction = pick.direction;
    this.cursor = pick.knob;
    return { knob: pick.knob, candidate: pick.candidate };
  }

  private trialEpoch(phase: Extract<Phase, { kind: 'trial' }>, epoch: EpochFigures): EpochCommand {
    phase.epochs.push(epoch);
    const knob = this.knobs[phase.knob]!;
    const state = this.state[phase.knob]!;
    const incumbents = phase.epochs.filter((e) => e.arm === 'incumbent');
    const candidates = phase.epochs.filter((e) => e.arm === 'candidate');
    if (epoch.arm === 'candidate') {
      const breach = guardBreach(this.options.objective, epoch, incumbents);
      if (breach !== undefined) {
        this.tried(state, state.direction);
        this.cursor = (phase.knob + 1) % this.knobs.length;
        return this.conclude(phase, 'reverted', `guard breached on a candidate epoch: ${breach}; back to ${this.incumbent[knob.setting]} at once`);
      }
    }
    // Within one arm the settings do not change: a load that drifts apart means the callers did.
    for (const arm of [incumbents, candidates]) {
      if (arm.length >= 2 && this.loadChanged(arm)) {
        const apart = Math.round(spread(arm.map((e) => e.arrivalRate)) * 100);
        // A stationary but bursty load also varies from one short epoch to the next: longer
        // epochs average its bursts out, while a real change of load still shows at any length.
        const longer = this.lengthenEpochs();
        return this.conclude(
          phase, 'abandoned',
          `the offered load changed during the trial (arrival rates and outstanding calls within one arm ${apart} % and more apart); tried again once it is steady${longer ? `, on epochs ${this.loadScale}× as long` : ''}`,
        );
      }
    }
    if (phase.epochs.length < 2 * this.o.pairs) {
      const arm = epoch.arm === 'incumbent' ? 'candidate' : 'incumbent';
      return this.armCommand(arm, phase.knob, phase.candidate);
    }
    const a = incumbents.map((e) => objectiveFigure(this.options.objective, e));
    const b = candidates.map((e) => objectiveFigure(this.options.objective, e));
    const comparison = compareSamples(a, b, { seed: this.o.seed + this.nextTrial });
    const threshold = this.o.threshold * state.damping;
    // A resample whose medians are both 0 (epochs that served nothing) has no ratio: no information there.
    const raw = comparison.ratio ?? { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, confidence: 0.95 };
    const ratio = { ...raw, low: Number.isNaN(raw.low) ? 0 : raw.low, high: Number.isNaN(raw.high) ? Number.POSITIVE_INFINITY : raw.high };
    const verdict = decideVerdict({ p: comparison.test.p, ratioLow: ratio.low, ratioHigh: ratio.high, threshold, alpha: this.o.alpha, better: better(this.options.objective) });
    const figures = {
      incumbent: { estimate: comparison.before.median, low: comparison.before.low, high: comparison.before.high, level: comparison.before.confidence },
      candidate: { estimate: comparison.after.median, low: comparison.after.low, high: comparison.after.high, level: comparison.after.confidence },
      ratio: { estimate: ratio.estimate, low: ratio.low, high: ratio.high, level: ratio.confidence },
      p: comparison.test.p,
    };
    // Signal to noise: the shift of the medians against the epochs' own spread (pooled standard deviation).
    const noise = Math.sqrt((variance(a) + variance(b)) / 2);
    const snr = noise === 0 ? Number.POSITIVE_INFINITY : Math.abs(comparison.after.median - comparison.before.median) / noise;
    const change = `${pct(ratio.estimate)} [${pct(ratio.low)}, ${pct(ratio.high)}], p = ${comparison.test.p.toPrecision(2)}, signal/noise ${snr.toFixed(1)}`;
    const inconclusive = (verdict.verdict === 'improved' && snr < this.o.snr) || (verdict.verdict === 'unchanged' && !verdict.withinNoise);
    if (inconclusive && this.trialScale < this.o.maxEpochScale) {
      // Not shown either way: the same trial again, on epochs twice as long (less noise per
      // epoch), once the knobs on shorter epochs had their trials.
      state.scale = Math.min(this.o.maxEpochScale, state.scale * 2);
      this.cursor = (phase.knob + 1) % this.knobs.length;
      const why = verdict.verdict === 'improved' ? `signal/noise below ${this.o.snr}` : 'not significant';
      return this.conclude(phase, 'rejected', `${why}: ${change}; tried again on epochs ${this.scaleOf(state)}× as long`, figures);
    }
    if (!inconclusive) {
      state.scale = Math.max(1, state.scale / 2);
      this.loadScale = Math.max(1, this.loadScale / 2);
    }
    if (verdict.verdict === 'improved' && snr < this.o.snr) {
      this.tried(state, state.direction);
      this.cursor = (phase.knob + 1) % this.knobs.length;
      return this.conclude(phase, 'rejected', `signal/noise below ${this.o.snr}: ${change}`, figures);
    }
    if (verdict.verdict === 'improved') {
      if (this.dryRun) {
        this.tried(state, state.direction);
        this.cursor = (phase.knob + 1) % this.knobs.length;
        return this.conclude(phase, 'recommended', `${knob.setting} ${phase.candidate} beats ${this.incumbent[knob.setting]}: ${change} (dry run: not applied)`, figures);
      }
      const from = this.incumbent[knob.setting];
      this.incumbent = withSetting(this.incumbent, knob.setting, phase.candidate);
      // Keep climbing this way; the way back is where it came from.
      state.triedUp = state.direction < 0;
      state.triedDown = state.direction > 0;
      if (state.accepted.slice(-3).includes(phase.candidate)) {
        // Back to a value it left: the two are within noise of each other. Widen its dead band and let it rest.
        state.damping = Math.min(4, state.damping * 2);
        state.triedUp = state.triedDown = true;
      }
      state.accepted.push(phase.candidate);
      if (state.accepted.length > 8) state.accepted.shift();
      return this.conclude(phase, 'accepted', `${knob.setting} ${from} → ${phase.candidate}: ${change}, beyond the ±${pct(threshold, false)} dead band`, figures);
    }
    this.tried(state, state.direction);
    // Worse one way: the other way of the same knob next (a hill climb probes both sides of a
    // slope); within noise or not shown: the next knob.
    if (verdict.verdict !== 'regressed') this.cursor = (phase.knob + 1) % this.knobs.length;
    const why =
      verdict.verdict === 'regressed'
        ? `worse: ${change}`
        : verdict.withinNoise
          ? `significant, but its interval reaches into the ±${pct(threshold, false)} dead band: ${change}`
          : `not significant: ${change}`;
    return this.conclude(phase, 'rejected', why, figures);
  }

  private conclude(phase: Extract<Phase, { kind: 'trial' }>, decision: TrialRecord['decision'], reason: string, figures?: TrialRecord['figures']): EpochCommand {
    const knob = this.knobs[phase.knob]!;
    this.trials.push({
      id: this.nextTrial++,
      setting: knob.setting,
      incumbent: phase.from,
      candidate: phase.candidate,
      epochs: [...phase.epochs],
      ...(figures === undefined ? {} : { figures }),
      decision,
      reason,
    });
    if (this.trials.length > TUNER_DEFAULTS.keptTrials) this.trials.shift();
    const wait = decision === 'accepted' || decision === 'reverted' ? this.o.cooldownEpochs : 0;
    this.phase = { kind: 'measuring', wait, epochs: [], why: wait > 0 ? 'cooling down after a change' : 'measuring the incumbent' };
    return this.command('incumbent', this.incumbent);
  }

  /**
   * The callers changed what they offer: both the arrival rate and the calls outstanding moved.
   * Either alone is noise on a closed loop (its arrivals follow the pool's speed, its calls
   * outstanding are its callers) or on an open one (arrivals fixed, queue noisy).
   */
  private loadChanged(epochs: readonly EpochFigures[]): boolean {
    return spread(epochs.map((e) => e.arrivalRate)) > this.o.loadTolerance && spread(epochs.map((e) => e.outstanding)) > this.o.loadTolerance;
  }

  /** A trial's epoch multiple for this knob: the load's times the knob's, at most maxEpochScale. */
  private scaleOf(state: KnobState): number {
    return Math.min(this.o.maxEpochScale, this.loadScale * state.scale);
  }

  /** Doubles the epochs' length up to maxEpochScale; false when they are that long already. */
  private lengthenEpochs(): boolean {
    if (this.loadScale >= this.o.maxEpochScale) return false;
    this.loadScale = Math.min(this.o.maxEpochScale, this.loadScale * 2);
    return true;
  }

  private tried(state: KnobState, direction: 1 | -1): void {
    if (direction > 0) state.triedUp = true;
    else state.triedDown = true;
  }

  /** The best setting drifts: after the re-probe period every knob may move again. */
  private reprobe(): void {
    for (const state of this.state) {
      state.triedUp = false;
      state.triedDown = false;
    }
    this.phase = { kind: 'measuring', wait: 0, epochs: [], why: 're-probing' };
  }

  private armCommand(arm: 'incumbent' | 'candidate', knob: number, candidate: number): EpochCommand {
    return this.command(arm, arm === 'incumbent' ? this.incumbent : withSetting(this.incumbent, this.knobs[knob]!.setting, candidate), this.trialScale);
  }

  /** An epoch of `scale` times the base size (outside trials: the load's). */
  private command(arm: 'incumbent' | 'candidate', settings: LiveSettings, scale = this.loadScale): EpochCommand {
    return { arm, settings, minCalls: this.jittered(this.o.epochCalls * scale), minMs: this.jittered(this.o.epochMs * scale) };
  }

  /** `value` ± jitter, seeded: epochs do not fall in step with a periodic disturbance. */
  private jittered(value: number): number {
    const u = uniformInt(this.rng, -1000, 1000) / 1000;
    return Math.max(1, Math.round(value * (1 + this.o.jitter * u)));
  }
}

/** (max − min) / median: how far apart figures that should agree are. */
function spread(values: readonly number[]): number {
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sample variance (n − 1). */
function variance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((n, v) => n + v, 0) / values.length;
  return values.reduce((n, v) => n + (v - mean) ** 2, 0) / (values.length - 1);
}

function pct(ratio: number, relative = true): string {
  const value = relative ? (ratio - 1) * 100 : ratio * 100;
  return `${relative && value >= 0 ? '+' : ''}${value.toFixed(1)} %`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
