import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Real wasm binaries nobody on this project wrote, each driven through its package's own hook
// for supplying the instance: sql.js (emscripten C, `instantiateWasm`) and @dqbd/tiktoken
// (Rust + wasm-bindgen, `init(callback)`). Each variant runs in its own process because both
// packages keep their instance in module-level state.
const script = fileURLToPath(new URL('./fixtures/real-world-digest.mjs', import.meta.url));
const cache = mkdtempSync(join(tmpdir(), 'wasm-sandbox-real-world-'));
const run = promisify(execFile);

async function digest(workload: string, instrument?: object): Promise<{ digest: string; instrumented: boolean; summary: string }> {
  const args = [script, workload, ...(instrument === undefined ? [] : [JSON.stringify(instrument)])];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, WASM_SANDBOX_TEST_CACHE: cache }, timeout: 120_000 });
  return JSON.parse(stdout) as { digest: string; instrumented: boolean; summary: string };
}

describe('instrumentation never changes behaviour (real modules from npm)', () => {
  for (const workload of ['sqljs', 'tiktoken']) {
    it(`${workload}: the workload's output digest is identical with every pass`, async () => {
      const [plain, fuel, deadline, profiling, analysis] = await Promise.all([
        digest(workload),
        digest(workload, { fuel: true }),
        digest(workload, { deadline: true }),
        digest(workload, { counters: true, hooks: true }),
        digest(workload, { fuel: true, counters: true, hooks: true, memory: true, allocator: true }),
      ]);
      expect(plain.instrumented).toBe(false);
      expect(fuel.instrumented).toBe(true);
      expect(plain.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(fuel.digest).toBe(plain.digest);
      expect(deadline.digest).toBe(plain.digest);
      expect(profiling.digest).toBe(plain.digest);
      expect(analysis.digest).toBe(plain.digest);
    }, 180_000);
  }
});
