/**
 * A simulated pool for the tuner's pure decisions: throughput, p99 and CPU per call as known
 * functions of the settings (and of the epoch, for drifting optima and changing loads), with
 * seeded multiplicative noise. It answers an epoch command with the figures a real pool's epoch
 * would have produced, so the controller runs thousands of epochs in milliseconds.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { EpochCommand, TuningController } from '../../src/tuner/decide.js';
import type { EpochFigures, LiveSettings } from '../../src/profiler/model/tuning.js';

export interface ModelPoint {
  readonly throughput: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerCall: number;
  /** Open-loop load: calls offered per second, whatever the settings. @default the throughput (a closed loop) */
  readonly arrivalRate?: number;
  readonly idleShare?: number;
  /** Calls outstanding on average. @default 64 (a closed loop of 64 callers) */
  readonly outstanding?: number;
  readonly errors?: number;
  readonly rssBytes?: number;
}

export type PoolModel = (settings: LiveSettings, epoch: number) => ModelPoint;

export interface SimulatedRun {
  /** The settings each epoch ran under, and its arm. */
  readonly epochs: readonly { readonly arm: EpochCommand['arm']; readonly settings: LiveSettings }[];
  /** The incumbent after each epoch. */
  readonly incumbents: readonly LiveSettings[];
}

/**
 * Runs `epochs` epochs of `controller` against `model` with ±`noise` (a relative standard
 * deviation) for an epoch of `baseMs`; longer epochs average it down (noise / √(length / baseMs)).
 */
export function simulate(controller: TuningController, model: PoolModel, epochs: number, noise: number, seed = 7, baseMs = 250): SimulatedRun {
  const rng = xoroshiro128plus(seed);
  const gaussian = (): number => {
    const u = (uniformInt(rng, 1, 1_000_000) / 1_000_001);
    const v = (uniformInt(rng, 1, 1_000_000) / 1_000_001);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  let sigma = noise;
  const noisy = (value: number): number => value * Math.exp(sigma * gaussian());
  const ran: { arm: EpochCommand['arm']; settings: LiveSettings }[] = [];
  const incumbents: LiveSettings[] = [];
  let command = controller.first();
  for (let i = 0; i < epochs; i++) {
    const point = model(command.settings, i);
    const seconds = command.minMs / 1000;
    sigma = noise / Math.sqrt(command.minMs / baseMs);
    const throughput = noisy(point.throughput);
    const figures: EpochFigures = {
      arm: command.arm,
      calls: Math.max(command.minCalls, Math.round(throughput * seconds)),
      seconds,
      throughput,
      arrivalRate: point.arrivalRate === undefined ? throughput : noisy(point.arrivalRate),
      p50Ms: noisy(point.p99Ms / 4),
      p99Ms: noisy(point.p99Ms),
      cpuMicrosPerCall: noisy(point.cpuMicrosPerCall),
      errors: point.errors ?? 0,
      deadlineMisses: 0,
      rssBytes: point.rssBytes ?? 100 * 2 ** 20,
      idleShare: point.idleShare ?? 0,
      outstanding: noisy(point.outstanding ?? 64),
    };
    ran.push({ arm: command.arm, settings: command.settings });
    command = controller.next(figures);
    incumbents.push(controller.settings);
  }
  return { epochs: ran, incumbents };
}

/** A factor falling by `loss` per rung away from `best` on `rungs`: a single peak. */
export function peaked(rungs: readonly number[], best: number, loss: number): (value: number) => number {
  const at = rungs.indexOf(best);
  return (value) => {
    const i = rungs.indexOf(value);
    return (1 - loss) ** Math.abs((i < 0 ? rungs.length : i) - at);
  };
}
