import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import type { AllocationReport } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('wasm-sandbox profile --mode alloc', () => {
  it('prints top sites, leaks, peak and the per-call leak check, and writes flamegraph, pprof and folded stacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-alloc-cli-'));
    const svg = join(dir, 'alloc.svg');
    const pprof = join(dir, 'alloc.pb.gz');
    const folded = join(dir, 'alloc.txt');
    const { code, stdout, stderr } = run('profile', guestPath('alloc'), 'leak', '5', '100', '--mode', 'alloc', '--repeat', '3', '--weight', 'liveAtEnd', '--flamegraph', svg, '--pprof', pprof, '--folded', folded);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('allocations (assemblyscript: ~lib/rt/itcms/__new, ~lib/rt/tlsf/insertBlock; frees seen)');
    expect(stdout).toMatch(/peak live heap .* reached in leak\(\) call #3/);
    expect(stdout).toMatch(/live at end \(leaks, unless freed later\)\n.*\n.*\nassembly\/alloc\/leak → ~lib\/arraybuffer\/ArrayBuffer#constructor\s+15\s+1\.5 KiB/);
    expect(stdout).toMatch(/per-call leak check: leak\(\) × 3 gains \d+ B live per call\n {2}\+500 B\/call {2}assembly\/alloc\/leak → ~lib\/arraybuffer\/ArrayBuffer#constructor/);
    expect(readFileSync(svg, 'utf8')).toContain('allocations (liveAtEnd)');
    expect(readFileSync(folded, 'utf8')).toContain('assembly/alloc/leak;~lib/arraybuffer/ArrayBuffer#constructor 1500\n');
    const profile = Profile.decode(gunzipSync(readFileSync(pprof)));
    expect(profile.sampleType).toHaveLength(4);
  });

  it('--json prints the allocation report', () => {
    const { code, stdout } = run('profile', guestPath('c-heap'), 'keep', '64', '--mode', 'alloc', '--repeat', '2', '--json');
    expect(code).toBe(0);
    const { allocations } = JSON.parse(stdout) as { allocations: AllocationReport };
    expect(allocations.totals).toMatchObject({ liveBlocksAtEnd: 2, liveBytesAtEnd: 128 });
    expect(allocations.perCall[0]).toMatchObject({ export: 'keep', calls: 2, liveBytesGainedPerCall: 64 });
  });

  it('rejects an unknown weight', () => {
    const { code, stderr } = run('profile', guestPath('c-heap'), 'keep', '64', '--mode', 'alloc', '--weight', 'nope');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--weight must be one of liveAtPeak, allocated, blocks, liveAtEnd/);
  });
});
