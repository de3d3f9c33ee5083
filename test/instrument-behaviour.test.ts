import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WasmHost, type GuestModule } from '../src/index.js';
import { instrument } from '../src/instrument/instrument.js';
import { normalizeInstrumentOptions, type InstrumentOptions } from '../src/instrument/options.js';
import { parseModule } from '../src/wasm/wasm-binary.js';
import { guestBytes, guestPath } from './helpers/guests.js';
import { memoryDigest, outcome, WORKLOADS } from './helpers/workloads.js';

const VARIANTS: Readonly<Record<string, InstrumentOptions | undefined>> = {
  plain: undefined,
  deadline: { deadline: true },
  fuel: { fuel: true },
  counters: { counters: true },
  hooks: { hooks: true },
  memory: { memory: true },
  allocator: { allocator: true },
  'all passes': { fuel: true, deadline: true, counters: true, hooks: true, memory: true, allocator: true },
};

const host = new WasmHost({ instrumentCacheDir: mkdtempSync(join(tmpdir(), 'wasm-sandbox-instrumented-')) });

async function run(guest: string, options: InstrumentOptions | undefined, workload: (typeof WORKLOADS)[number]) {
  const module: GuestModule = await host.load(guestPath(guest), {
    ...(options === undefined ? {} : { instrument: options }),
    ...(workload.memoryLimitPages === undefined ? {} : { memoryLimitPages: workload.memoryLimitPages }),
  });
  const sandbox = module.instantiate({
    ...(workload.sandbox?.seed === undefined ? {} : { seed: workload.sandbox.seed }),
    ...(workload.sandbox?.imports === undefined ? {} : { imports: workload.sandbox.imports() }),
    ...(options?.deadline === true || options?.fuel === true ? { timeoutMs: 10_000 } : {}),
  });
  const outcomes = workload.steps.map((step) => outcome(step, sandbox));
  return { outcomes, memory: memoryDigest(sandbox) };
}

describe('instrumentation never changes behaviour (bundled guests)', () => {
  for (const workload of WORKLOADS) {
    it(`${workload.guest}: same results and memory with every pass`, async () => {
      const baseline = await run(workload.guest, undefined, workload);
      expect(baseline.outcomes.length).toBe(workload.steps.length);
      for (const [variant, options] of Object.entries(VARIANTS)) {
        if (options === undefined) continue;
        const rewritten = await run(workload.guest, options, workload);
        expect({ variant, ...rewritten }).toEqual({ variant, ...baseline });
      }
    });
  }

  it('binaryen validates every rewrite of every bundled guest', () => {
    for (const workload of WORKLOADS) {
      const bytes = guestBytes(workload.guest);
      for (const options of Object.values(VARIANTS)) {
        if (options === undefined) continue;
        const result = instrument(bytes, parseModule(bytes), workload.guest, normalizeInstrumentOptions(options), true);
        expect(WebAssembly.validate(result.bytes)).toBe(true);
      }
    }
  });

  it('start functions behave the same: a trapping start function still traps', async () => {
    for (const options of Object.values(VARIANTS)) {
      const module = await host.load(guestPath('start-trap'), options === undefined ? {} : { instrument: options });
      expect(() => module.instantiate()).toThrow(expect.objectContaining({ code: 'ERR_WASM_TRAP', kind: 'divide_by_zero' }));
    }
  });
});
