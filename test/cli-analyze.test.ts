/** The findings on the command line: profile --findings / --save, analyze, --fail-on, the demo's findings. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestPath } from './helpers/guests.js';
import { moduleProfile } from './helpers/profiles.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-analyze-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('findings on the command line', () => {
  const saved = join(dir, 'run.json');

  it('profile --findings names the hot function with an exact saving; --save writes a saved profile', () => {
    const { code, stdout } = run('profile', guestPath('profile'), 'outer', '1000', '--mode', 'instructions', '--repeat', '3', '--findings', '--save', saved);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\n1\. \[high\] assembly\/profile\/kernel holds (9\d|100) % of profile\.wasm's instructions {2}\(hot-function, cpu\)\n/);
    expect(stdout).toMatch(/confidence: exact \(counted\)/);
    expect(stdout).toMatch(/✓ host-imports: /);
    const file = JSON.parse(readFileSync(saved, 'utf8')) as { schema: string; run: { export: string; repeat: number }; modules: { tree: { mode: string }; callOverheadNs: number }[] };
    expect(file.schema).toBe('wasm-sandbox/saved-profile@1');
    expect(file.run).toMatchObject({ export: 'outer', repeat: 3, mode: 'instructions' });
    expect(file.modules[0]!.tree.mode).toBe('instructions');
    expect(file.modules[0]!.callOverheadNs).toBeGreaterThan(0);
  });

  it('analyze reads it back to the same findings; --json; --fail-on high exits 2, --fail-on with nothing that high exits 0', () => {
    const text = run('analyze', saved);
    expect(text.code).toBe(0);
    // Timed rules (a slow compile on a busy machine) may add findings; the exact one ranks first.
    expect(text.stdout).toMatch(/^findings: \d+, most saving first\n\n1\. \[high\] assembly\/profile\/kernel holds/);
    const json = run('analyze', saved, '--json');
    const report = JSON.parse(json.stdout) as { schema: string; findings: { id: string; where: { path: string[] }; confidence: { kind: string } }[] };
    expect(report.schema).toBe('wasm-sandbox/analysis@1');
    expect(report.findings[0]!.id).toBe('hot-function');
    expect(report.findings[0]!.where.path).toEqual(['assembly/profile/outer', 'assembly/profile/slow', 'assembly/profile/kernel']);
    const gate = run('analyze', saved, '--fail-on', 'high');
    expect(gate.code).toBe(2);
    expect(gate.stderr).toMatch(/^fail-on high: \d finding\(s\) at or above high \(hot-function[^)]*\)\n$/);
    // A profile with nothing wrong (hand-made, so that no timing can make it fire) passes the gate.
    const quiet = join(dir, 'quiet.json');
    writeFileSync(quiet, JSON.stringify({ schema: 'wasm-sandbox/saved-profile@1', savedAt: '', modules: [{ profile: moduleProfile('ok.wasm') }] }));
    const clean = run('analyze', quiet, '--fail-on', 'low');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^findings: none\n/);
    expect(run('analyze', saved, '--fail-on', 'severe').stderr).toMatch(/^ERR_WASM_ARGUMENT: --fail-on must be one of high, medium, low, info/);
  });

  it('profile --fuel records the limit, and limit-approached reads it: fib(20) is 197,015 instructions of 220,000', () => {
    const limited = join(dir, 'limited.json');
    const { code, stdout } = run('profile', guestPath('fib'), 'fib', '20', '--mode', 'instructions', '--fuel', '220000', '--findings', '--save', limited);
    expect(code).toBe(0);
    expect(stdout).toContain('1. [medium] fib uses 90 % of its fuel  (limit-approached, limits)');
    expect(stdout).toContain('evidence: instructions per call (p99) 197,015 instructions · instructions per call (max) 197,015 instructions · fuel 220,000 instructions');
    const file = JSON.parse(readFileSync(limited, 'utf8')) as { modules: { limits: unknown }[] };
    expect(file.modules[0]!.limits).toEqual({ fuel: 220_000 });
  });

  it('profile --mode alloc --findings: the leak of alloc.wasm with its site and bytes a call; --fail-on medium exits 2; --save keeps the allocations', () => {
    const file = join(dir, 'alloc.json');
    const { code, stdout, stderr } = run('profile', guestPath('alloc'), 'leak', '10', '256', '--mode', 'alloc', '--repeat', '5', '--findings', '--fail-on', 'medium', '--save', file);
    expect(code).toBe(2);
    expect(stdout).toContain('per-call leak check: leak() × 5 gains 2.5 KiB live per call'); // the mode's own table, then its findings
    // When no earlier test left this rewrite in the disk cache, the rewrite is part of the
    // compile time and cold-start-compile fires too (rightly): every other finding is exact.
    const timed = (ids: string[]): string[] => ids.filter((id) => id !== 'cold-start-compile');
    expect(stdout).toMatch(/\nfindings: [12], most saving first\n\n/);
    expect(stdout).toMatch(/\n[12]\. \[medium\] leak keeps 2608 more live bytes after every call {2}\(leak, allocation\)\n {3}where: module alloc\.wasm, export leak, path assembly\/alloc\/leak → ~lib\/arraybuffer\/ArrayBuffer#constructor\n/);
    expect(stdout).toContain('from assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor 2,560 bytes/call');
    const failedOn = /^fail-on medium: (\d) finding\(s\) at or above medium \(([^)]*)\)\n$/.exec(stderr);
    expect(timed(failedOn![2]!.split(', '))).toEqual(['leak']);
    const again = run('analyze', file, '--json');
    const report = JSON.parse(again.stdout) as { findings: { id: string; evidence: { label: string; value: number }[] }[] };
    expect(timed(report.findings.map((f) => f.id))).toEqual(['leak']);
    expect(report.findings.find((f) => f.id === 'leak')!.evidence[0]).toEqual({ label: 'live bytes gained per call', value: 2608, unit: 'bytes' });
  });

  it('profile --mode alloc --findings on churn: a hot spot of 1000 blocks a call, no leak', () => {
    const { code, stdout } = run('profile', guestPath('alloc'), 'churn', '1000', '64', '--mode', 'alloc', '--repeat', '3', '--findings', '--json');
    expect(code).toBe(0);
    const { allocations, analysis } = JSON.parse(stdout) as { allocations: { perCall: { export: string; liveBytesGainedPerCall: number }[] }; analysis: { findings: { id: string; title: string }[]; passed: { id: string }[] } };
    expect(allocations.perCall).toMatchObject([{ export: 'churn', liveBytesGainedPerCall: 0 }]);
    expect(analysis.findings.filter((f) => f.id.startsWith('allocation') || f.id === 'leak').map((f) => f.title)).toEqual([
      'assembly/alloc/churn → ~lib/arraybuffer/ArrayBuffer#constructor allocates 1000 blocks a call',
    ]);
    expect(analysis.passed.map((p) => p.id)).toContain('leak');
  });

  it("profile --mode cache --setup 'init 512' --findings: sumColumnMajor's locality, and none for sumRowMajor", () => {
    const geometry = ['--D1=32768,8,64', '--LL=1048576,16,64'];
    const column = run('profile', guestPath('matrix'), 'sumColumnMajor', '--setup', 'init 512', '--mode', 'cache', ...geometry, '--findings');
    expect(column.code).toBe(0);
    expect(column.stdout).toContain('\n1. [high] assembly/matrix/sumColumnMajor misses D1 on 100 % of its loads, striding 4096 B  (poor-locality, locality)\n');
    expect(column.stdout).toContain('evidence: loads 262,144 accesses · D1 misses 262,144 misses · D1 miss rate 100.0 % · LL misses 262,144 misses');
    expect(column.stdout).toContain('saves: up to 229,376 misses');
    const row = run('profile', guestPath('matrix'), 'sumRowMajor', '--setup', 'init 512', '--mode', 'cache', ...geometry, '--findings');
    expect(row.code).toBe(0);
    expect(row.stdout).toContain('✓ poor-locality: No function walks memory with a cache-missing stride');
    expect(row.stdout).not.toContain('(poor-locality, locality)');
    const json = run('profile', guestPath('matrix'), 'sumColumnMajor', '--setup', 'init 512', '--mode', 'cache', ...geometry, '--findings', '--json');
    const parsed = JSON.parse(json.stdout) as { schema: string; exports: { name: string; calls: number }[]; analysis: { findings: { id: string; saving: { value: number } }[] } };
    expect(parsed.schema).toBe('wasm-sandbox/cache-report@1'); // the cache report as without --findings, its analysis beside
    expect(parsed.exports.map((e) => [e.name, e.calls]).sort()).toEqual([['init', 1], ['sumColumnMajor', 1], ['~start', 1]]);
    expect(parsed.analysis.findings.filter((f) => f.id === 'poor-locality').map((f) => f.saving.value)).toEqual([229_376]);
    const bad = run('profile', guestPath('matrix'), 'sumRowMajor', '--setup', 'init', '--mode', 'cache');
    expect(bad.stderr).toMatch(/^ERR_WASM_ARGUMENT: --setup: init takes 1 argument\(s\) \(i32\), got 0/);
  });

  it('a newer or unknown schema is a typed one-line error, not a crash', () => {
    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify({ schema: 'wasm-sandbox/saved-profile@9', modules: [] }));
    const { code, stderr } = run('analyze', newer);
    expect(code).toBe(1);
    expect(stderr).toBe(`ERR_PROFILE_FORMAT: ${newer} is wasm-sandbox/saved-profile@9, newer than this version of wasm-sandbox reads (wasm-sandbox/saved-profile@1); upgrade wasm-sandbox to read it\n`);
    const missing = run('analyze', join(dir, 'missing.json'));
    expect(missing.stderr).toMatch(/^ERR_WASM_SOURCE: cannot read profile /);
  });
});
