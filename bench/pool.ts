/**
 * The pool against its peers in the same run: piscina's own `run` and plain `postMessage` to a
 * worker, both calling the same guest export directly. Targets (issue 4): round-trip p50 ≤ 5 µs
 * (≥ 19× faster than piscina.run); small-call throughput on 2 threads ≥ 10× piscina's; 64 MiB of
 * doubles into a guest at ≥ 4 GiB/s.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import { Piscina } from 'piscina';
import * as hdr from 'hdr-histogram-js';
import { createPool } from '../src/pool/pool.js';
import { guestPath, printBench, writeBench, type BenchResult } from './report.js';

const peerWorker = fileURLToPath(new URL('../../bench/fixtures/peer-worker.mjs', import.meta.url));

function histogram(): hdr.Histogram {
  return hdr.build({ bitBucketSize: 32, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 60e9 });
}

async function latency(n: number, call: () => Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < 2000; i++) await call(); // warm-up
  const h = histogram();
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await call();
    h.recordValue(Number(process.hrtime.bigint() - start));
  }
  return { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, mean: h.mean / 1000 };
}

async function throughput(total: number, window: number, call: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const start = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const results: BenchResult[] = [];
  const pool = await createPool({ modules: { add: guestPath('add') }, threads: 2 });
  // Frames up to half a ring: 64 MiB of doubles need 256 MiB rings (one worker is enough).
  const big = await createPool({ modules: { sum: guestPath('sum') }, threads: 1, ringBytes: 256 * 1024 * 1024 });
  await Promise.all([pool.ready(), big.ready()]);
  const piscina = new Piscina({ filename: peerWorker, minThreads: 2, maxThreads: 2 });
  const echo = new Worker(peerWorker, { workerData: { echo: true } });
  const echoCall = (task: unknown): Promise<unknown> =>
    new Promise((resolve) => {
      echo.once('message', resolve);
      echo.postMessage(task);
    });

  // 1. Round trip at concurrency 1.
  const N = 20_000;
  const rtPool = await latency(N, () => pool.call('add', 'add', 1, 2));
  const rtPiscina = await latency(N, () => piscina.run({ op: 'add', a: 1, b: 2 }));
  const rtEcho = await latency(N, () => echoCall({ op: 'add', a: 1, b: 2 }));
  results.push(
    { benchmark: 'pool', case: 'round trip add(1, 2), concurrency 1', metric: 'p50', value: rtPool.p50, unit: 'µs', baseline: { name: 'piscina.run', value: rtPiscina.p50 }, ratio: rtPool.p50 / rtPiscina.p50, target: 'p50 <= 5 µs', met: rtPool.p50 <= 5 },
    { benchmark: 'pool', case: 'round trip add(1, 2), concurrency 1', metric: 'p99', value: rtPool.p99, unit: 'µs', baseline: { name: 'piscina.run', value: rtPiscina.p99 }, ratio: rtPool.p99 / rtPiscina.p99 },
    { benchmark: 'pool', case: 'round trip add(1, 2), concurrency 1', metric: 'p50', value: rtPool.p50, unit: 'µs', baseline: { name: 'postMessage echo', value: rtEcho.p50 }, ratio: rtPool.p50 / rtEcho.p50 },
  );

  // 2. Throughput of small calls, 2 threads, 256 in flight.
  const cpuBefore = cpuMs();
  const wall = performance.now();
  const tpPool = await throughput(200_000, 256, () => pool.call('add', 'add', 1, 2));
  const poolCpu = (cpuMs() - cpuBefore) / (performance.now() - wall);
  const tpPiscina = await throughput(50_000, 256, () => piscina.run({ op: 'add', a: 1, b: 2 }));
  results.push({
    benchmark: 'pool', case: 'small calls, 2 threads, 256 in flight', metric: 'throughput', value: tpPool / 1000, unit: 'k calls/s',
    baseline: { name: 'piscina.run', value: tpPiscina / 1000 }, ratio: tpPool / tpPiscina, target: 'ratio >= 10', met: tpPool / tpPiscina >= 10,
  });
  results.push({ benchmark: 'pool', case: 'small calls: process CPU while serving (default spin budgets)', metric: 'cpu', value: poolCpu * 100, unit: '% of a core' });

  // 3. 64 MiB of doubles into a guest (sum), through the pool vs structured clone.
  const values = Float64Array.from({ length: (64 * 1024 * 1024) / 8 }, (_, i) => i % 1000);
  const gib = values.byteLength / 2 ** 30;
  const sig = { signature: { params: ['Float64Array'], result: 'f64' } } as const;
  for (let i = 0; i < 4; i++) await big.invoke('sum', 'sumF64', [values], sig); // first touch of the ring's pages
  let start = performance.now();
  for (let i = 0; i < 5; i++) await big.invoke('sum', 'sumF64', [values], sig);
  const poolGiBs = (5 * gib) / ((performance.now() - start) / 1000);
  await echoCall({ op: 'sum', values });
  start = performance.now();
  for (let i = 0; i < 5; i++) await echoCall({ op: 'sum', values });
  const cloneGiBs = (5 * gib) / ((performance.now() - start) / 1000);
  results.push({
    benchmark: 'pool', case: '64 MiB Float64Array into a guest sum', metric: 'bandwidth', value: poolGiBs, unit: 'GiB/s',
    baseline: { name: 'structured-clone postMessage', value: cloneGiBs }, ratio: poolGiBs / cloneGiBs, target: '>= 4 GiB/s', met: poolGiBs >= 4,
  });

  printBench(`worker pool vs peers (${cpus().length} cores)`, results);
  console.log(`wrote ${writeBench('pool', startedAt, results)}`);
  await pool.close();
  await big.close();
  await piscina.destroy();
  await echo.terminate();
}

await main();
