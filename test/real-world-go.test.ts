import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// esbuild-wasm: Go compiled to wasm, 14 MB, functions of 180 KB that are one dispatch loop over
// a br_table of thousands of cases. Its fuel rewrite once made V8's optimising compiler abort
// the whole process (too many loop-exit values: one per local per branch out of the loop), so
// it runs in a child, with every function tiered up to the optimising compiler at once.
const script = fileURLToPath(new URL('./fixtures/esbuild-run.mjs', import.meta.url));
const run = promisify(execFile);

interface Result { outputs: string[]; instrumented: boolean; rewriteMs: number; maxRssMiB: number }

async function esbuild(instrument?: object): Promise<Result> {
  const args = ['--wasm-tiering-budget=1', script, ...(instrument === undefined ? [] : [JSON.stringify(instrument)])];
  const { stdout } = await run(process.execPath, args, { timeout: 280_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Result;
}

describe('a Go module (esbuild-wasm) instruments, compiles and runs like the original', () => {
  it('fuel: the same output, compiled by the optimising compiler, in bounded memory', async () => {
    const plain = await esbuild();
    expect(plain.outputs[0]).toBe('let x = 1 + 2;\n');
    const fuel = await esbuild({ fuel: true });
    expect(fuel.instrumented).toBe(true);
    expect(fuel.outputs).toEqual(plain.outputs);
    // Without folding binaryen's scratch locals the same run took ≈3 GB (and aborted in V8 when
    // compiled eagerly); folded, it stays near the original's few hundred MB.
    expect(fuel.maxRssMiB).toBeLessThan(1536);
  }, 300_000);
});
