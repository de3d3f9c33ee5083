import { describe, expect, it } from 'vitest';
import type { LiveSettings } from '../src/profiler/model/tuning.js';
import { TuningController, type ControllerOptions } from '../src/tuner/decide.js';
import { KNOB_LADDERS, knobsFor, neighbour } from '../src/tuner/knobs.js';
import { peaked, simulate, type PoolModel } from './helpers/simulated-pool.js';

const DEFAULTS: LiveSettings = { threads: 2, callerSpinMicros: 20, workerSpin: 2000, wakeBatch: 64 };
const knobs = knobsFor({ minThreads: 1, maxThreads: 4 });
const throughput = (bound = 5): ControllerOptions => ({ objective: { kind: 'throughput', p99BoundMs: bound }, knobs, seed: 3 });

/** Separable single-peaked curve: best at 3 threads, 5 µs caller spin, 300 worker spins, batch 16. */
const OPTIMUM: LiveSettings = { threads: 3, callerSpinMicros: 5, workerSpin: 300, wakeBatch: 16 };
const curve = (s: LiveSettings): number =>
  100_000 *
  peaked([1, 2, 3, 4], OPTIMUM.threads, 0.15)(s.threads) *
  peaked(KNOB_LADDERS.callerSpinMicros, OPTIMUM.callerSpinMicros, 0.08)(s.callerSpinMicros) *
  peaked(KNOB_LADDERS.workerSpin, OPTIMUM.workerSpin, 0.08)(s.workerSpin) *
  peaked(KNOB_LADDERS.wakeBatch, OPTIMUM.wakeBatch, 0.08)(s.wakeBatch);
const known: PoolModel = (s) => ({ throughput: curve(s), p99Ms: 1, cpuMicrosPerCall: 10 });

describe('the tuner’s decisions on a simulated pool', () => {
  it('knobs step one rung at a time within their bounds', () => {
    const threads = knobs.find((k) => k.setting === 'threads')!;
    expect(threads.rungs).toEqual([1, 2, 3, 4]);
    expect([neighbour(threads, 4, 1), neighbour(threads, 1, -1), neighbour(threads, 2, 1)]).toEqual([undefined, undefined, 3]);
    const spin = knobs.find((k) => k.setting === 'workerSpin')!;
    expect([neighbour(spin, 2000, 1), neighbour(spin, 2000, -1), neighbour(spin, 1500, 1), neighbour(spin, 1500, -1)]).toEqual([10_000, 300, 2000, 300]);
    expect(knobsFor({ minThreads: 2, maxThreads: 2 }).map((k) => k.setting)).toEqual(['callerSpinMicros', 'workerSpin', 'wakeBatch']);
  });

  it('finds the optimum of a known curve from the defaults, one knob and one rung at a time', () => {
    const controller = new TuningController(DEFAULTS, throughput());
    const run = simulate(controller, known, 1500, 0.02);
    expect(controller.settings).toEqual(OPTIMUM);
    const log = controller.log('live');
    // Every change of the incumbent is an accepted trial of one knob, one rung.
    const changes = run.incumbents.filter((s, i) => i > 0 && JSON.stringify(s) !== JSON.stringify(run.incumbents[i - 1]));
    expect(changes).toHaveLength(log.trials.filter((t) => t.decision === 'accepted').length);
    for (const trial of log.trials) {
      expect(trial.epochs).toHaveLength(trial.decision === 'accepted' || trial.decision === 'rejected' ? 10 : trial.epochs.length);
      if (trial.decision === 'accepted') expect(trial.figures!.ratio.low).toBeGreaterThan(1.03);
    }
    // Within a trial the arms alternate (ABAB), and the settings differ in one knob only.
    const trialEpochs = run.epochs.filter((e) => e.arm === 'candidate');
    expect(trialEpochs.length).toBeGreaterThan(0);
    for (const e of trialEpochs) {
      const differing = (Object.keys(e.settings) as (keyof LiveSettings)[]).filter((k) => e.settings[k] !== OPTIMUM[k] && true);
      expect(differing.length).toBeLessThanOrEqual(4);
    }
    const accepted = log.trials.filter((t) => t.decision === 'accepted');
    expect(accepted.every((t) => Math.abs(knobs.find((k) => k.setting === t.setting)!.rungs.indexOf(t.candidate) - knobs.find((k) => k.setting === t.setting)!.rungs.indexOf(t.incumbent)) === 1)).toBe(true);
  });

  it('alternates incumbent and candidate epoch by epoch, with epochs jittered around their size', () => {
    const controller = new TuningController(DEFAULTS, { ...throughput(), epochCalls: 1000, epochMs: 100, jitter: 0.2, maxEpochScale: 1 });
    const commands = [controller.first()];
    for (let i = 0; i < 40; i++) {
      commands.push(controller.next({ arm: commands.at(-1)!.arm, calls: 1000, seconds: 0.1, throughput: 50_000, arrivalRate: 50_000, p50Ms: 0.1, p99Ms: 1, cpuMicrosPerCall: 10, errors: 0, deadlineMisses: 0, rssBytes: 1e8, idleShare: 0, outstanding: 64 }));
    }
    const arms = commands.map((c) => c.arm[0]).join('');
    // Three incumbent epochs to see the load is steady, then a trial of 10 alternating epochs.
    expect(arms.slice(3, 13)).toMatch(/^(ic){5}$|^(ci){5}$/);
    expect(commands.every((c) => c.minCalls >= 800 && c.minCalls <= 1200 && c.minMs >= 80 && c.minMs <= 120)).toBe(true);
    expect(new Set(commands.map((c) => c.minMs)).size).toBeGreaterThan(5);
  });

  it('moves only when the signal clears the noise: a shift smaller than 3 epoch standard deviations is rejected', () => {
    const run = (incumbent: readonly number[], candidate: readonly number[]) => {
      const controller = new TuningController(DEFAULTS, { ...throughput(), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['threads']) });
      let command = controller.first();
      const seen = { incumbent: 0, candidate: 0 };
      for (let i = 0; i < 13; i++) {
        const value = command.arm === 'incumbent' ? (i < 3 ? 100 : incumbent[seen.incumbent++ % 5]!) : candidate[seen.candidate++ % 5]!;
        command = controller.next({ arm: command.arm, calls: 1000, seconds: 0.25, throughput: value, arrivalRate: value, p50Ms: 0.1, p99Ms: 1, cpuMicrosPerCall: 10, errors: 0, deadlineMisses: 0, rssBytes: 1e8, idleShare: 0, outstanding: 64 });
      }
      return controller.log('live').trials[0]!;
    };
    // Every candidate epoch beats every incumbent one (p ≈ 0.008) and the ratio's interval lies
    // beyond +3 %, but one incumbent epoch at 70 and one candidate at 140 make the spread wide.
    const wide = run([100, 100, 70, 100, 100], [110, 140, 110, 110, 110]);
    expect(wide.figures!.p).toBeLessThan(0.01);
    expect(wide.figures!.ratio.low).toBeGreaterThan(1.03);
    expect(wide).toMatchObject({ decision: 'rejected', reason: expect.stringMatching(/^signal\/noise below 3/) });
    const clear = run([100, 101, 99, 100, 100], [110, 111, 109, 110, 110]);
    expect(clear.decision).toBe('accepted');
  });

  it('on a noisy pool, lengthens its epochs until an effect clears the noise, then shortens them again', () => {
    // 20 % a rung, under ±15 % noise per base epoch: invisible at the base size, clear at 8×.
    const model: PoolModel = (s) => ({ throughput: 100_000 * peaked([1, 2, 3, 4], 4, 0.2)(s.threads), p99Ms: 1, cpuMicrosPerCall: 10 });
    const controller = new TuningController(DEFAULTS, { ...throughput(), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['threads']) });
    simulate(controller, model, 1500, 0.15);
    expect(controller.settings.threads).toBe(4);
    const trials = controller.log('live').trials;
    expect(trials.some((t) => /tried again on epochs 2× as long/.test(t.reason))).toBe(true);
    const accepted = trials.filter((t) => t.decision === 'accepted');
    expect(accepted.map((t) => t.candidate)).toEqual([3, 4]);
    // The accepted trials ran on longer epochs than the first trial.
    expect(accepted[0]!.epochs[0]!.seconds).toBeGreaterThan(2 * trials[0]!.epochs[0]!.seconds);
  });

  it('chases a small effect on longer epochs only after the other knobs had their short trials: a large effect is found first', () => {
    // Caller spin (tried first) moves throughput 2 % a rung, under 5 % noise: inconclusive at the
    // base size. A thread more is worth 40 %: clear at once.
    const model: PoolModel = (s) => ({
      throughput: 100_000 * peaked([1, 2, 3, 4], 4, 0.4)(s.threads) * peaked(KNOB_LADDERS.callerSpinMicros, 100, 0.02)(s.callerSpinMicros),
      p99Ms: 1, cpuMicrosPerCall: 10, outstanding: 64,
    });
    const controller = new TuningController(DEFAULTS, throughput());
    simulate(controller, model, 400, 0.05);
    const trials = controller.log('live').trials;
    expect(trials[0]).toMatchObject({ setting: 'callerSpinMicros', decision: 'rejected', reason: expect.stringMatching(/tried again on epochs 2× as long$/) });
    const threads = trials.findIndex((t) => t.setting === 'threads' && t.decision === 'accepted');
    const longerSpin = trials.findIndex((t, i) => i > 0 && t.setting === 'callerSpinMicros');
    expect(threads).toBeGreaterThan(0);
    expect(threads).toBeLessThan(longerSpin);
    expect(trials[threads]!.epochs[0]!.seconds).toBeLessThan(0.4); // on base-size epochs (250 ms ± 20 %)
    expect(trials[longerSpin]!.epochs[0]!.seconds).toBeGreaterThan(0.4);
  });

  it('does not move on pure noise', () => {
    const controller = new TuningController(DEFAULTS, throughput());
    simulate(controller, () => ({ throughput: 80_000, p99Ms: 1, cpuMicrosPerCall: 10 }), 2000, 0.05);
    const log = controller.log('live');
    expect(log.trials.length).toBeGreaterThan(20);
    expect(log.trials.filter((t) => t.decision === 'accepted')).toEqual([]);
    expect(controller.settings).toEqual(DEFAULTS);
  });

  it('reverts a planted regression at once: a candidate that breaches the p99 bound is dropped after its first epoch', () => {
    // 3 threads would win on throughput, but blows the latency bound.
    const model: PoolModel = (s) => ({ throughput: s.threads === 3 ? 150_000 : 100_000, p99Ms: s.threads === 3 ? 12 : 2, cpuMicrosPerCall: 10 });
    const controller = new TuningController(DEFAULTS, { ...throughput(5), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['threads']) });
    simulate(controller, model, 300, 0.02);
    const reverted = controller.log('live').trials.filter((t) => t.decision === 'reverted');
    expect(reverted.length).toBeGreaterThan(0);
    expect(reverted[0]).toMatchObject({ setting: 'threads', incumbent: 2, candidate: 3 });
    expect(reverted[0]!.reason).toMatch(/p99 .* over the bound of 5 ms/);
    expect(reverted[0]!.epochs.filter((e) => e.arm === 'candidate')).toHaveLength(1);
    expect(controller.settings.threads).toBe(2);
    // Memory and errors are guards too.
    const leaky = new TuningController(DEFAULTS, { ...throughput(5), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['threads']) });
    simulate(leaky, (s) => ({ throughput: 100_000 * s.threads, p99Ms: 1, cpuMicrosPerCall: 10, rssBytes: s.threads > 2 ? 400 * 2 ** 20 : 100 * 2 ** 20, errors: s.threads === 1 ? 50 : 0 }), 300, 0.02);
    const reasons = leaky.log('live').trials.filter((t) => t.decision === 'reverted').map((t) => `${t.candidate}: ${t.reason.split(':')[1]}`);
    expect(reasons.some((r) => r.startsWith('3:') && r.includes('resident memory'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('1:') && r.includes('errors'))).toBe(true);
    expect(leaky.settings.threads).toBe(2);
  });

  it('stops oscillating between settings within noise of each other', () => {
    // workerSpin 300 and 2000 tie; everything else is flat; the noise is large and the run long.
    const model: PoolModel = (s) => ({ throughput: s.workerSpin === 300 || s.workerSpin === 2000 ? 100_000 : 85_000, p99Ms: 1, cpuMicrosPerCall: 10 });
    const controller = new TuningController(DEFAULTS, { ...throughput(), reprobeEpochs: 10 });
    const run = simulate(controller, model, 6000, 0.04);
    const values = run.incumbents.map((s) => s.workerSpin);
    const moves = values.filter((v, i) => i > 0 && v !== values[i - 1]).length;
    expect(moves).toBeLessThanOrEqual(2);
    expect([300, 2000]).toContain(controller.settings.workerSpin);
    // It kept re-probing all along: trials in the last third, none accepted there.
    const late = controller.log('live').trials.slice(-20);
    expect(late.length).toBe(20);
    expect(late.filter((t) => t.decision === 'accepted')).toEqual([]);
  });

  it('does not tune while the offered load is changing, and tunes once it is steady', () => {
    // Open loop, minimising CPU: the arrival rate (and the queue) grows 5 % an epoch for 150 epochs, then holds.
    const model: PoolModel = (s, epoch) => ({
      throughput: 20_000,
      arrivalRate: 20_000 * 1.05 ** Math.min(epoch, 150),
      outstanding: 4 * 1.05 ** Math.min(epoch, 150),
      p99Ms: 1,
      cpuMicrosPerCall: 6 * (1 + s.workerSpin / 1000),
      idleShare: 0.7,
    });
    const controller = new TuningController(DEFAULTS, { objective: { kind: 'cpu-per-call', p99BoundMs: 5 }, knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['workerSpin']), seed: 3 });
    const run = simulate(controller, model, 1000, 0.02);
    expect(run.incumbents.slice(0, 150).every((s) => s.workerSpin === 2000)).toBe(true);
    const trials = controller.log('live').trials;
    // Trials were started and given up as the load moved; none concluded before it held.
    const duringRamp = trials.slice(0, trials.findIndex((x) => x.decision !== 'abandoned'));
    expect(duringRamp.length).toBeGreaterThan(5);
    expect(duringRamp.every((t) => /offered load changed/.test(t.reason))).toBe(true);
    expect(controller.settings.workerSpin).toBe(0);
  });

  it('on a bursty but steady load, runs abandoned trials again on longer epochs until they conclude, and tunes', () => {
    // ±25 % per base epoch on every figure, arrivals and queue included (an open loop's bursts):
    // an arm's five epochs spread beyond the 20 % load tolerance at the base length, not at 8×.
    const model: PoolModel = (s) => ({ throughput: 20_000, arrivalRate: 20_000, outstanding: 4, p99Ms: 1, cpuMicrosPerCall: 6 * (1 + s.workerSpin / 1000), idleShare: 0.7 });
    const controller = new TuningController(DEFAULTS, { objective: { kind: 'cpu-per-call', p99BoundMs: 5 }, knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['workerSpin']), seed: 3 });
    simulate(controller, model, 600, 0.25);
    const trials = controller.log('live').trials;
    expect(trials[0]).toMatchObject({ decision: 'abandoned', reason: expect.stringMatching(/on epochs 2× as long$/) });
    const concluded = trials.filter((t) => t.decision === 'accepted');
    expect(concluded.length).toBeGreaterThan(0);
    expect(concluded[0]!.epochs[0]!.seconds).toBeGreaterThan(2 * trials[0]!.epochs[0]!.seconds);
    expect(controller.settings.workerSpin).toBe(0);
  });

  it('minimising CPU, tries the workers\' spin first and spins downward first; after a worse step, the same knob\'s other side', () => {
    const cpu = new TuningController(DEFAULTS, { objective: { kind: 'cpu-per-call', p99BoundMs: 5 }, knobs, seed: 3 });
    simulate(cpu, (s) => ({ throughput: 20_000, p99Ms: 1, cpuMicrosPerCall: 10 + s.callerSpinMicros / 10 + s.workerSpin / 1000, idleShare: 0.7 }), 80, 0.02);
    const [spin, next] = cpu.log('live').trials;
    expect(spin).toMatchObject({ setting: 'workerSpin', incumbent: 2000, candidate: 300, decision: 'accepted' });
    expect(next).toMatchObject({ setting: 'workerSpin', incumbent: 300, candidate: 0 });
    // Maximising throughput, callerSpin up is 30 % worse and down 10 % better: after the worse
    // step up, the next trial is the same knob downward, not the next knob.
    const up = new TuningController(DEFAULTS, { ...throughput(), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['callerSpinMicros', 'workerSpin']) });
    simulate(up, (s) => ({ throughput: s.callerSpinMicros > 20 ? 70_000 : s.callerSpinMicros < 20 ? 110_000 : 100_000, p99Ms: 1, cpuMicrosPerCall: 10 }), 60, 0.02);
    const [first, second] = up.log('live').trials;
    expect(first).toMatchObject({ setting: 'callerSpinMicros', candidate: 100, decision: 'rejected', reason: expect.stringMatching(/^worse/) });
    expect(second).toMatchObject({ setting: 'callerSpinMicros', candidate: 5, decision: 'accepted' });
  });

  it('while app-limited: no throughput trials at all, and no thread growth when minimising CPU', () => {
    const idle: PoolModel = (s) => ({ throughput: 10_000 * s.threads, p99Ms: 1, cpuMicrosPerCall: 10 / s.threads, idleShare: 0.8 });
    const waiting = new TuningController(DEFAULTS, throughput());
    simulate(waiting, idle, 200, 0.02);
    expect(waiting.log('live').trials).toEqual([]);
    expect(waiting.log('live').state).toMatch(/app-limited/);
    const cpu = new TuningController(DEFAULTS, { objective: { kind: 'cpu-per-call', p99BoundMs: 5 }, knobs, seed: 3 });
    simulate(cpu, idle, 600, 0.02);
    expect(cpu.log('live').trials.some((t) => t.setting === 'threads' && t.candidate > t.incumbent)).toBe(false);
    expect(cpu.settings.threads).toBe(2);
  });

  it('re-probes: when the best setting drifts, it follows', () => {
    const model: PoolModel = (s, epoch) => ({ throughput: 100_000 * peaked([1, 2, 3, 4], epoch < 500 ? 2 : 4, 0.15)(s.threads), p99Ms: 1, cpuMicrosPerCall: 10 });
    const controller = new TuningController(DEFAULTS, { ...throughput(), knobs: knobsFor({ minThreads: 1, maxThreads: 4 }, ['threads']), reprobeEpochs: 30 });
    const run = simulate(controller, model, 1500, 0.02);
    expect(run.incumbents[499]!.threads).toBe(2);
    expect(controller.settings.threads).toBe(4);
  });

  it('in a dry run only recommends: the incumbent never changes', () => {
    const controller = new TuningController(DEFAULTS, { ...throughput(), dryRun: true });
    const run = simulate(controller, known, 800, 0.02);
    expect(run.incumbents.every((s) => JSON.stringify(s) === JSON.stringify(DEFAULTS))).toBe(true);
    const recommended = controller.log('dry-run').trials.filter((t) => t.decision === 'recommended');
    expect([...new Set(recommended.map((t) => `${t.setting}=${t.candidate}`))].sort()).toEqual(['callerSpinMicros=5', 'threads=3', 'wakeBatch=16', 'workerSpin=300']);
  });

  it('is reproducible: the same seed and figures give the same log', () => {
    const a = new TuningController(DEFAULTS, throughput());
    const b = new TuningController(DEFAULTS, throughput());
    simulate(a, known, 300, 0.03);
    simulate(b, known, 300, 0.03);
    expect(a.log('live')).toEqual(b.log('live'));
  });
});
