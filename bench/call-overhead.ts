/**
 * Per-call overhead of the host's call paths against a direct export call on the same
 * instance, in the same process, rounds interleaved so drift hits both alike.
 * Target (issue 2): `fn()` of the empty export, metrics on, ≤ 60 ns above the raw call.
 */
import { readFileSync } from 'node:fs';
import { WasmHost } from '../src/index.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';

const CALLS = 2_000_000;
const ROUNDS = 15;

function nsPerCall(loop: () => void): number {
  const start = process.hrtime.bigint();
  loop();
  return Number(process.hrtime.bigint() - start) / CALLS;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = new WasmHost();
  const results: BenchResult[] = [];

  for (const guest of ['noop', 'add'] as const) {
    const bytes = readFileSync(guestPath(guest));
    const rawInstance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const module = await host.load(bytes, { label: guest });
    const sandbox = module.instantiate();
    const args = guest === 'noop' ? [] : [1, 2];
    const raw = rawInstance.exports[guest] as (...a: number[]) => number;
    const fast = sandbox.fn(guest);

    const loops: Record<string, () => void> = guest === 'noop'
      ? {
          raw: () => { for (let i = 0; i < CALLS; i++) raw(); },
          'fn()': () => { for (let i = 0; i < CALLS; i++) fast(); },
          'call()': () => { for (let i = 0; i < CALLS; i++) sandbox.call('noop'); },
        }
      : {
          raw: () => { let s = 0; for (let i = 0; i < CALLS; i++) s = raw(s, 1); if (s < 0) throw new Error(); },
          'fn()': () => { let s = 0; for (let i = 0; i < CALLS; i++) s = fast(s, 1) as number; if (s < 0) throw new Error(); },
          'call()': () => { let s = 0; for (let i = 0; i < CALLS; i++) s = sandbox.call('add', s, 1) as number; if (s < 0) throw new Error(); },
        };
    void args;
    const samples: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, loop] of Object.entries(loops)) (samples[name] ??= []).push(nsPerCall(loop));
    }
    const rawNs = median(samples['raw']!.slice(2));
    for (const name of ['fn()', 'call()']) {
      const ns = median(samples[name]!.slice(2));
      const overhead = ns - rawNs;
      results.push({
        benchmark: 'call-overhead', case: `${guest} via ${name}`, metric: 'time per call', value: ns, unit: 'ns',
        samples: samples[name]!.slice(2),
        baseline: { name: 'direct export call', value: rawNs }, ratio: ns / rawNs,
        ...(name === 'fn()' && guest === 'noop' ? { target: 'overhead <= 60 ns', met: overhead <= 60 } : {}),
      });
      results.push({
        benchmark: 'call-overhead', case: `${guest} via ${name}`, metric: 'overhead per call', value: overhead, unit: 'ns',
        baseline: { name: 'direct export call', value: rawNs },
      });
    }
    const profile = module.profile().exports.find((e) => e.name === guest)!;
    // The metrics must still count every call exactly, whatever the timing policy sampled.
    const expected = ROUNDS * CALLS * 2;
    if (profile.calls !== expected) throw new Error(`${guest}: profile counted ${profile.calls} calls, expected ${expected}`);
  }
  printBench('call overhead (median of rounds; rounds interleaved)', results);
  console.log(`wrote ${writeBench('call-overhead', startedAt, results)}`);
}

await main();
