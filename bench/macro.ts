/**
 * End-to-end scenarios users run, each through the pool and through piscina running the same
 * wasm (bench/fixtures/macro-peer-worker.mjs), 2 threads each, in interleaved rounds: request
 * handling (a guest parses and transforms a small JSON-like payload), a data pipeline (64 KiB
 * chunks through two guests in turn: delta-decode, then digest), an inference kernel (a small
 * dense f32 network in AssemblyScript) and batch processing (many independent jobs). Every
 * scenario first checks that both answer the same. Throughput, p50/p99 and process CPU per
 * call are medians over the rounds; ratios are pool / piscina.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { closedLoop, type Window } from './load.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';
import { bytesSig, requestPayloads } from './request-payloads.js';

const peerWorker = fileURLToPath(new URL('../../bench/fixtures/macro-peer-worker.mjs', import.meta.url));
const ROUNDS = Number(process.env['MACRO_BENCH_ROUNDS'] ?? 7);
const WINDOW_MS = Number(process.env['MACRO_BENCH_WINDOW_MS'] ?? 400);

interface Scenario {
  readonly name: string;
  readonly lanes: number;
  /** One unit of work (a request, a chunk through both stages, an inference, a job). */
  viaPool(pool: WasmPool, lane: number, i: number): Promise<unknown>;
  viaPiscina(piscina: Piscina, lane: number, i: number): Promise<unknown>;
}

const rng = xoroshiro128plus(42);
const requests = requestPayloads;
const chunks = Array.from({ length: 8 }, () => Uint8Array.from({ length: 64 * 1024 }, () => uniformInt(rng, 0, 255)));
const inputs = Array.from({ length: 32 }, () => Float32Array.from({ length: 64 }, () => uniformInt(rng, -1000, 1000) / 1000));

const digestSig = { signature: { params: ['Uint8Array'], result: 'i32' } } as const;
const inferSig = { signature: { params: ['Float32Array'], result: 'i32' } } as const;
const JOB_ROUNDS = 2000;

const scenarios: Scenario[] = [
  {
    name: 'request handling (~150 B JSON-like payload parsed and transformed), 16 callers',
    lanes: 16,
    viaPool: (pool, lane, i) => pool.invoke('request', 'handle', [requests[(lane * 7 + i) % requests.length]!], bytesSig),
    viaPiscina: (piscina, lane, i) => piscina.run({ op: 'request', bytes: requests[(lane * 7 + i) % requests.length]! }),
  },
  {
    name: 'data pipeline (64 KiB chunks: decode guest, then digest guest), 4 chunks in flight',
    lanes: 4,
    viaPool: async (pool, lane, i) => {
      const decoded = (await pool.invoke('decode', 'decode', [chunks[(lane + i) % chunks.length]!], bytesSig)) as Uint8Array;
      return pool.invoke('digest', 'digest', [decoded], digestSig);
    },
    viaPiscina: async (piscina, lane, i) => {
      const decoded = (await piscina.run({ op: 'decode', bytes: chunks[(lane + i) % chunks.length]! })) as Uint8Array;
      return piscina.run({ op: 'digest', bytes: decoded });
    },
  },
  {
    name: 'inference kernel (dense f32 64→128→10), 16 callers',
    lanes: 16,
    viaPool: (pool, lane, i) => pool.invoke('inference', 'infer', [inputs[(lane + i) % inputs.length]!], inferSig),
    viaPiscina: (piscina, lane, i) => piscina.run({ op: 'infer', input: inputs[(lane + i) % inputs.length]! }),
  },
  {
    name: `batch processing (independent jobs of ${JOB_ROUNDS} xorshift rounds), 64 in flight`,
    lanes: 64,
    viaPool: (pool, lane, i) => pool.call('batch', 'job', lane * 100_000 + i, JOB_ROUNDS),
    viaPiscina: (piscina, lane, i) => piscina.run({ op: 'job', seed: lane * 100_000 + i, rounds: JOB_ROUNDS }),
  },
];

/** Both sides must compute the same answers before either is timed. */
async function checkSameAnswers(pool: WasmPool, piscina: Piscina): Promise<void> {
  for (const scenario of scenarios) {
    for (let i = 0; i < 4; i++) {
      const a = await scenario.viaPool(pool, 1, i);
      const b = await scenario.viaPiscina(piscina, 1, i);
      const same = a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0 : a === b;
      if (!same) throw new Error(`${scenario.name}: the pool answered ${String(a)}, piscina ${String(b)}`);
    }
  }
  const transformed = new TextDecoder().decode((await scenarios[0]!.viaPool(pool, 0, 0)) as Uint8Array);
  if (!transformed.includes('"USER":"USER-0"') || !transformed.includes('"ID":20000')) throw new Error(`request handling answered ${transformed}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const results: BenchResult[] = [];
  const pool = await createPool({
    modules: {
      request: guestPath('macro-request'),
      decode: guestPath('macro-decode'),
      digest: guestPath('macro-digest'),
      inference: guestPath('macro-inference'),
      batch: guestPath('macro-batch'),
    },
    threads: 2,
  });
  await pool.ready();
  const piscina = new Piscina({ filename: peerWorker, minThreads: 2, maxThreads: 2 });
  await checkSameAnswers(pool, piscina);
  for (const scenario of scenarios) {
    const ours: Window[] = [];
    const theirs: Window[] = [];
    await closedLoop(200, scenario.lanes, (l, i) => scenario.viaPool(pool, l, i));
    await closedLoop(200, scenario.lanes, (l, i) => scenario.viaPiscina(piscina, l, i));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so a slow phase of the machine falls on both.
      const poolFirst = round % 2 === 0;
      for (const side of poolFirst ? ['pool', 'piscina'] : ['piscina', 'pool']) {
        if (side === 'pool') ours.push(await closedLoop(WINDOW_MS, scenario.lanes, (l, i) => scenario.viaPool(pool, l, i)));
        else theirs.push(await closedLoop(WINDOW_MS, scenario.lanes, (l, i) => scenario.viaPiscina(piscina, l, i)));
      }
    }
    const row = (metric: string, unit: string, pick: (w: Window) => number, target?: { text: string; met: (ratio: number) => boolean }): BenchResult => {
      const value = median(ours.map(pick));
      const base = median(theirs.map(pick));
      return { benchmark: 'macro', case: scenario.name, metric, value, unit, baseline: { name: 'piscina, same wasm', value: base }, ratio: value / base, ...(target === undefined ? {} : { target: target.text, met: target.met(value / base) }) };
    };
    results.push(
      row('throughput', 'k/s', (w) => w.throughput / 1000, { text: 'ratio >= 1', met: (r) => r >= 1 }),
      row('p50', 'µs', (w) => w.p50Us),
      row('p99', 'µs', (w) => w.p99Us, { text: 'ratio <= 1', met: (r) => r <= 1 }),
      row('CPU per unit', 'µs', (w) => w.cpuMicrosPerCall),
    );
  }
  printBench(`end-to-end scenarios: pool vs piscina on the same wasm, 2 threads each (${cpus().length} cores)`, results);
  console.log(`wrote ${writeBench('macro', startedAt, results)}`);
  await pool.close();
  await piscina.destroy();
}

await main();
