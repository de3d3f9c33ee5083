/**
 * The pool's memory under a long soak of worker deaths and replacements (issue 9: RSS rose
 * ≈22 MiB/min over 3 minutes of crashes). Three phases, each in a process of its own (resident
 * memory is whole-process), each sampled once a second after a GC:
 *
 * - crashes: a 2-thread pool serving add() from 16 callers while a call kills a worker every
 *   250 ms (each death is a replacement);
 * - calm: the same pool and callers with no deaths — the pool's own baseline;
 * - thread churn: no pool, plain worker threads that rebuild the same compiled module, call it
 *   and exit at the same period — what replacing a thread costs in Node itself.
 *
 * A fourth phase, one death a second for a minute, gives the callers' call latency (p50 to max)
 * against the no-deaths pool's: what a death costs the calls around it.
 * A leak per replacement grows with the deaths: the slope over the second half of a phase (after
 * allocators and code caches have reached their working size) says whether it keeps growing.
 * Seconds per phase: SOAK_SECONDS (default 180).
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { printBench, writeBench, type BenchResult } from './report.js';

const fixture = fileURLToPath(new URL('../../bench/fixtures/pool-soak.mjs', import.meta.url));
const seconds = Number(process.env['SOAK_SECONDS'] ?? 180);
const PERIOD_MS = 250;
const LATENCY_SECONDS = 60;
/** Samples before this are the process starting and warming up (RSS levels off in ≈20 s here). */
const WARM_UP_S = 30;

interface Phase {
  readonly mode: string;
  readonly calls: number;
  readonly deaths: number;
  readonly wrong: number;
  readonly samples: readonly { readonly s: number; readonly rssMiB: number; readonly heapMiB: number }[];
  readonly latencyMicros?: { readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number };
}

function run(mode: string, phaseSeconds = seconds, periodMs = PERIOD_MS): Phase {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', fixture, mode, String(phaseSeconds), String(periodMs)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Phase;
}

/** Least-squares slope of `y` over seconds, per minute, and its standard error (how much of it is noise). */
function fit(points: readonly (readonly [number, number])[]): { slope: number; error: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxy / sxx;
  let residuals = 0;
  for (const [x, y] of points) residuals += (y - my - slope * (x - mx)) ** 2;
  return { slope: slope * 60, error: Math.sqrt(residuals / Math.max(1, n - 2) / sxx) * 60 };
}

const slopePerMinute = (points: readonly (readonly [number, number])[]): number => fit(points).slope;

function figures(phase: Phase) {
  const kept = phase.samples.filter((s) => s.s >= WARM_UP_S);
  const half = kept.slice(Math.floor(kept.length / 2));
  const secondHalf = slopePerMinute(half.map((s) => [s.s, s.rssMiB]));
  const halfSeconds = half[half.length - 1]!.s - half[0]!.s;
  // Deaths come at a steady rate: those of the second half, in proportion.
  const halfDeaths = (phase.deaths * halfSeconds) / seconds;
  const whole = fit(kept.map((s) => [s.s, s.rssMiB]));
  return {
    whole: whole.slope,
    wholeError: whole.error,
    secondHalf,
    perDeathKiB: halfDeaths > 0 ? ((secondHalf * halfSeconds) / 60 / halfDeaths) * 1024 : 0,
    heap: slopePerMinute(kept.map((s) => [s.s, s.heapMiB])),
    first: kept[0]!.rssMiB,
    last: kept[kept.length - 1]!.rssMiB,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const crashes = run('crashes');
  const calm = run('calm');
  const churn = run('threads');
  // Latency with one death a second: restarts that do not overlap (at 250 ms both workers are
  // often restarting at once, and every call waits whatever the pool does).
  const spaced = run('crashes', LATENCY_SECONDS, 1000);
  for (const phase of [crashes, calm, churn, spaced]) if (phase.wrong > 0) throw new Error(`${phase.mode}: ${phase.wrong} calls answered wrongly`);
  const c = figures(crashes);
  const k = figures(calm);
  const t = figures(churn);
  const soak = `${seconds} s, ${crashes.deaths} worker replacements (${((crashes.deaths / seconds) * 60).toFixed(0)}/min), ${(crashes.calls / 1e6).toFixed(2)} M calls`;
  const results: BenchResult[] = [
    {
      benchmark: 'pool-soak', case: `pool with deaths: ${soak}; ± ${c.wholeError.toFixed(1)} (no deaths ± ${k.wholeError.toFixed(1)}) standard error`, metric: 'RSS slope after warm-up', value: c.whole, unit: 'MiB/min',
      baseline: { name: 'pool, no deaths', value: k.whole },
    },
    { benchmark: 'pool-soak', case: `pool with deaths: ${soak}`, metric: 'RSS slope, second half', value: c.secondHalf, unit: 'MiB/min', baseline: { name: 'pool, no deaths', value: k.secondHalf } },
    { benchmark: 'pool-soak', case: `pool with deaths: ${soak}`, metric: 'RSS slope, second half', value: c.secondHalf, unit: 'MiB/min', baseline: { name: `Node thread churn (${churn.deaths} threads)`, value: t.secondHalf } },
    { benchmark: 'pool-soak', case: 'pool with deaths', metric: 'RSS after warm-up → end', value: c.last, unit: 'MiB', baseline: { name: 'at warm-up end', value: c.first }, ratio: c.last / c.first },
    { benchmark: 'pool-soak', case: 'pool, no deaths', metric: 'RSS after warm-up → end', value: k.last, unit: 'MiB', baseline: { name: 'at warm-up end', value: k.first }, ratio: k.last / k.first },
    { benchmark: 'pool-soak', case: 'Node thread churn', metric: 'RSS after warm-up → end', value: t.last, unit: 'MiB', baseline: { name: 'at warm-up end', value: t.first }, ratio: t.last / t.first },
    {
      benchmark: 'pool-soak', case: 'RSS growth per thread replaced (second half)', metric: 'RSS', value: c.perDeathKiB, unit: 'KiB',
      baseline: { name: 'Node thread churn', value: t.perDeathKiB }, ratio: t.perDeathKiB === 0 ? undefined : c.perDeathKiB / t.perDeathKiB,
    },
    { benchmark: 'pool-soak', case: 'pool with deaths', metric: 'JS heap slope', value: c.heap, unit: 'MiB/min', baseline: { name: 'pool, no deaths', value: k.heap } },
  ];
  // What a death costs the calls around it: they go to the live worker while one restarts.
  for (const [metric, key] of [['call latency p50', 'p50'], ['call latency p99', 'p99'], ['call latency p99.9', 'p999'], ['call latency max', 'max']] as const) {
    const ours = spaced.latencyMicros?.[key];
    const calmValue = calm.latencyMicros?.[key];
    if (ours === undefined || calmValue === undefined) continue;
    results.push({
      benchmark: 'pool-soak', case: `add() from 16 callers, one worker death a second (${spaced.deaths} in ${LATENCY_SECONDS} s)`, metric, value: ours, unit: 'µs',
      baseline: { name: 'pool, no deaths', value: calmValue }, ratio: ours / calmValue,
    });
  }
  printBench(`worker pool soak (${cpus().length} cores)`, results);
  console.log(`wrote ${writeBench('pool-soak', startedAt, results)}`);
}

await main();
