/**
 * Load generators the benches share: a closed loop (callers each making their next call when
 * the last settles) and a seeded open loop, bursty or steady (arrivals on a schedule, whatever the pool
 * does; latency from arrival, so coordinated omission does not hide queueing). Each returns
 * throughput, latency percentiles and process CPU per call of its window.
 */
import * as hdr from 'hdr-histogram-js';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

export interface Window {
  readonly calls: number;
  readonly throughput: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuMicrosPerCall: number;
}

export function histogram(): hdr.Histogram {
  return hdr.build({ bitBucketSize: 32, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 60e9 });
}

export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** `lanes` callers, each making its next call when the last settles, for `ms`. */
export async function closedLoop(ms: number, lanes: number, call: (lane: number, i: number) => Promise<unknown>): Promise<Window> {
  const h = histogram();
  const cpu = cpuMicros();
  const start = performance.now();
  const until = start + ms;
  let calls = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = process.hrtime.bigint();
        await call(lane, i);
        h.recordValue(Number(process.hrtime.bigint() - t0));
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { calls, throughput: calls / seconds, p50Us: h.getValueAtPercentile(50) / 1000, p99Us: h.getValueAtPercentile(99) / 1000, cpuMicrosPerCall: (cpuMicros() - cpu) / Math.max(1, calls) };
}

/** When calls arrive: `burstRate` calls/s for the first `burstMs` of every `periodMs`, `baseRate` between. */
export interface ArrivalSchedule {
  readonly burstRate: number;
  readonly baseRate: number;
  readonly burstMs: number;
  readonly periodMs: number;
}

/** Bursts of 40 k calls/s for 20 ms, then 60 ms at 4 k calls/s. */
export const BURSTY: ArrivalSchedule = { burstRate: 40_000, baseRate: 4_000, burstMs: 20, periodMs: 80 };

/** A steady Poisson load of `rate` calls/s: a service far from saturation. */
export const steady = (rate: number): ArrivalSchedule => ({ burstRate: rate, baseRate: rate, burstMs: 0, periodMs: 1 });

/**
 * Open loop: calls arrive on a seeded schedule, whatever the pool does; each latency counts
 * from its call's arrival.
 */
export async function openLoop(ms: number, seed: number, call: () => Promise<unknown>, schedule: ArrivalSchedule = BURSTY): Promise<Window> {
  const rng = xoroshiro128plus(seed);
  const arrivals: number[] = [];
  for (let t = 0; t < ms; ) {
    const rate = t % schedule.periodMs < schedule.burstMs ? schedule.burstRate : schedule.baseRate;
    // Exponential gaps: a Poisson process at the phase's rate.
    t += (-Math.log(uniformInt(rng, 1, 1_000_000) / 1_000_001) / rate) * 1000;
    arrivals.push(t);
  }
  const h = histogram();
  const cpu = cpuMicros();
  const start = performance.now();
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve) => {
    const fire = (): void => {
      const now = performance.now() - start;
      while (next < arrivals.length && arrivals[next]! <= now) {
        const arrival = start + arrivals[next++]!;
        void call().then(() => {
          h.recordValue(Math.max(1, Math.round((performance.now() - arrival) * 1000)));
          if (++done === arrivals.length) resolve();
        });
      }
      if (next === arrivals.length) return;
      // Like a server waiting on I/O, it sleeps until just before the next arrival (timers are
      // ≈1 ms coarse; a late arrival still counts its latency from when it was due): a loop of
      // setImmediate would keep a core busy, and that CPU would be counted as the pool's.
      const wait = arrivals[next]! - (performance.now() - start);
      if (wait < 0.25) setImmediate(fire);
      else setTimeout(fire, Math.max(1, Math.floor(wait)));
    };
    fire();
  });
  const seconds = (performance.now() - start) / 1000;
  return { calls: done, throughput: done / seconds, p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), cpuMicrosPerCall: (cpuMicros() - cpu) / Math.max(1, done) };
}

