import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CacheReport } from '../src/profiler/model/cache-report.js';
import { guestPath } from './helpers/guests.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const GEOMETRY = ['--D1=1024,2,64', '--LL=4096,4,64'];

describe('wasm-sandbox profile --mode cache', () => {
  it('prints the geometry, the totals and a cg_annotate-like row per function, and writes cachegrind format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-cli-cache-'));
    const out = join(dir, 'cachegrind.out.squares');
    const { code, stdout } = run('profile', guestPath('sum'), 'squares', '1000', '--mode', 'cache', ...GEOMETRY, '--cachegrind', out);
    expect(code).toBe(0);
    expect(stdout).toContain('cache simulation: D1 1024 B, 2-way, 64 B lines (--D1=1024,2,64); LL 4096 B, 4-way, 64 B lines (--LL=4096,4,64); from the caller (--D1, --LL)');
    // 1000 doubles stored in order: 8 000 bytes = 125 lines, each a cold write miss in D1 and LL.
    expect(stdout).toMatch(/\s125\s+125\s+[\d.]+%\s+[\d.]+%\s+[\d,]+\s+sequential 8 B\s+assembly\/sum\/squares/);
    expect(stdout).toContain('not a measurement');
    expect(stdout).toContain(`wrote ${out}`);
    const annotated = execFileSync('/usr/bin/cg_annotate', ['--auto=no', out], { encoding: 'utf8' });
    expect(annotated).toMatch(/sum\.wasm:assembly\/sum\/squares/);
  });

  it('--json prints the cache report', () => {
    const { code, stdout } = run('profile', guestPath('sum'), 'squares', '1000', '--mode', 'cache', ...GEOMETRY, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as CacheReport;
    expect(report.geometry.d1).toEqual({ sizeBytes: 1024, associativity: 2, lineBytes: 64 });
    const squares = report.functions.find((f) => f.name === 'assembly/sum/squares')!;
    expect(squares).toMatchObject({ d1WriteMisses: 125, llWriteMisses: 125, stride: { kind: 'sequential', bytes: 8 } });
    expect(report.exports.find((e) => e.name === 'squares')).toMatchObject({ calls: 1 });
  });

  it('refuses a geometry cachegrind would refuse, naming the flag', () => {
    const { code, stderr } = run('profile', guestPath('sum'), 'squares', '10', '--mode', 'cache', '--D1=1000,2,64');
    expect(code).not.toBe(0);
    expect(stderr).toContain('ERR_WASM_ARGUMENT: --D1: the size (1000) must be a multiple of associativity × line size (128)');
  });
});
