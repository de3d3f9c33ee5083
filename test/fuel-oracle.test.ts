/**
 * Fuel counts executed instructions exactly: for every bundled guest, an interpreter-style guest
 * and real npm modules, the fuel pass's count equals what the oracle pass (an increment where
 * each expression executes, nothing shared with the fuel pass but the walker) counts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInstrumentEngine, WasmHost, type Sandbox } from '../src/index.js';
import { ORACLE_COUNTER } from '../src/instrument/abi.js';
import { addInstructionOracle } from '../src/instrument/oracle-pass.js';
import { guestBytes } from './helpers/guests.js';
import { WORKLOADS, type Workload } from './helpers/workloads.js';

const host = new WasmHost({ instrumentCacheDir: false });
beforeAll(() => loadInstrumentEngine());

/** The counts of both after instantiation and after each step; a failed step is marked. */
function counts(workload: Workload): { fuel: number[]; oracle: number[]; failed: (string | undefined)[] } {
  const bytes = guestBytes(workload.guest);
  const limit = workload.memoryLimitPages === undefined ? {} : { memoryLimitPages: workload.memoryLimitPages };
  const options = () => ({
    ...(workload.sandbox?.seed === undefined ? {} : { seed: workload.sandbox.seed }),
    ...(workload.sandbox?.imports === undefined ? {} : { imports: workload.sandbox.imports() }),
  });
  const fueled = host.loadSync(bytes, { label: workload.guest, instrument: { fuel: true }, ...limit }).instantiate(options());
  const oracled = host.loadSync(addInstructionOracle(bytes), { label: `${workload.guest} (oracle)`, ...limit }).instantiate(options());
  const oracleCount = (s: Sandbox): number => Number((s.instance.exports[ORACLE_COUNTER] as WebAssembly.Global).value as bigint);
  const fuel = [fueled.instructionsExecuted()];
  const oracle = [oracleCount(oracled)];
  const failed: (string | undefined)[] = [undefined];
  const outcome = (s: Sandbox, step: Workload['steps'][number]): string | undefined => {
    try {
      step(s);
      return undefined;
    } catch (error) {
      return (error as { kind?: string; code?: string }).kind ?? (error as { code?: string }).code ?? 'error';
    }
  };
  for (const step of workload.steps) {
    const fuelFailed = outcome(fueled, step);
    const oracleFailed = outcome(oracled, step);
    expect(fuelFailed).toBe(oracleFailed);
    fuel.push(fueled.instructionsExecuted());
    oracle.push(oracleCount(oracled));
    failed.push(fuelFailed);
  }
  return { fuel, oracle, failed };
}

const INTERPRETER: Workload = {
  guest: 'interp',
  steps: [1, 2, 100, 10_000].flatMap((n) => [(s: Sandbox) => s.call('run', n), (s: Sandbox) => s.call('direct', n)]),
};

describe('fuel equals the oracle count of executed instructions', () => {
  for (const workload of [...WORKLOADS, INTERPRETER]) {
    it(`${workload.guest}: the same count after instantiation and after every call`, () => {
      const { fuel, oracle, failed } = counts(workload);
      expect(oracle.at(-1)).toBeGreaterThan(0);
      for (let i = 0; i < fuel.length; i++) {
        const fuelStep = fuel[i]! - (fuel[i - 1] ?? 0);
        const oracleStep = oracle[i]! - (oracle[i - 1] ?? 0);
        // A trap charges the rest of the straight-line run it trapped in (docs/limits.md); a
        // stack overflow comes at another depth in the oracle's bigger frames.
        if (failed[i] === 'stack_overflow') continue;
        if (failed[i] !== undefined) expect(fuelStep).toBeGreaterThanOrEqual(oracleStep);
        else expect({ step: i, count: fuelStep }).toEqual({ step: i, count: oracleStep });
      }
    });
  }

});

const script = fileURLToPath(new URL('./fixtures/fuel-oracle.mjs', import.meta.url));
const run = promisify(execFile);

describe('fuel equals the oracle on real modules from npm', () => {
  for (const workload of ['sqljs', 'tiktoken']) {
    it(`${workload}: the whole workload`, async () => {
      const { stdout } = await run(process.execPath, [script, workload], { timeout: 170_000, maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout) as { fuel: number; oracle: number; sameOutput: boolean };
      expect(result.sameOutput).toBe(true);
      expect(result.oracle).toBeGreaterThan(1_000_000);
      expect(result.fuel).toBe(result.oracle);
    }, 180_000);
  }
});
