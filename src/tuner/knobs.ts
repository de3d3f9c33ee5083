/**
 * The knobs the tuner turns: the pool's live settings, each with the rungs it steps along (one
 * rung per trial: bounded steps). Spin budgets and the batch move on roughly doubling ladders,
 * since their effects are proportional; threads move by one within the pool's bounds. Isolation
 * and limits are semantics, not performance: they are never knobs.
 */
import type { LiveSetting, LiveSettings } from '../profiler/model/tuning.js';

export interface Knob {
  readonly setting: LiveSetting;
  /** The values it may take, ascending. */
  readonly rungs: readonly number[];
}

/**
 * Each ladder written once (the docs list them). Rungs are about 4–7× apart: a one-rung step
 * must move the figures beyond the epochs' noise to be seen at all, and on a noisy machine a
 * doubling rarely does.
 */
export const KNOB_LADDERS = {
  callerSpinMicros: [0, 5, 20, 100],
  workerSpin: [0, 300, 2000, 10_000, 30_000],
  wakeBatch: [1, 4, 16, 64, 256, 1024],
} as const satisfies Record<Exclude<LiveSetting, 'threads'>, readonly number[]>;

/** The knobs for a pool whose thread count may range over [minThreads, maxThreads]; `only` picks some. */
export function knobsFor(bounds: { readonly minThreads: number; readonly maxThreads: number }, only?: readonly LiveSetting[]): Knob[] {
  // Spins first: where a spinning thread takes the core another needs, they cost the most.
  const all: Knob[] = [
    { setting: 'callerSpinMicros', rungs: KNOB_LADDERS.callerSpinMicros },
    { setting: 'workerSpin', rungs: KNOB_LADDERS.workerSpin },
    { setting: 'threads', rungs: Array.from({ length: bounds.maxThreads - bounds.minThreads + 1 }, (_, i) => bounds.minThreads + i) },
    { setting: 'wakeBatch', rungs: KNOB_LADDERS.wakeBatch },
  ];
  // A knob with one rung cannot move.
  return all.filter((k) => k.rungs.length > 1 && (only === undefined || only.includes(k.setting)));
}

/** The rung nearest to `value` (a setting the user gave may sit between rungs). */
export function nearestRung(knob: Knob, value: number): number {
  let best = 0;
  for (let i = 1; i < knob.rungs.length; i++) if (Math.abs(knob.rungs[i]! - value) < Math.abs(knob.rungs[best]! - value)) best = i;
  return best;
}

/**
 * The value one rung from `value` in `direction` (+1 up, −1 down), or undefined at the end of
 * the ladder. From a value between rungs, the first rung beyond it.
 */
export function neighbour(knob: Knob, value: number, direction: 1 | -1): number | undefined {
  if (direction > 0) return knob.rungs.find((r) => r > value);
  for (let i = knob.rungs.length - 1; i >= 0; i--) if (knob.rungs[i]! < value) return knob.rungs[i];
  return undefined;
}

export function withSetting(settings: LiveSettings, setting: LiveSetting, value: number): LiveSettings {
  return { ...settings, [setting]: value };
}
