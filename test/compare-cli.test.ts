import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestPath } from './helpers/guests.js';
import { WasmHost } from '../src/index.js';

/** Instructions one call executes, from the fuel counter alone (no hooks): the independent count. */
async function fuelCount(guest: string, exportName: string, ...args: number[]): Promise<number> {
  const module = await new WasmHost().load(guestPath(guest), { instrument: { fuel: true } });
  const sandbox = module.instantiate({ fuel: 1e9 });
  sandbox.call(exportName, ...args);
  return sandbox.lastCallInstructions!;
}

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-compare-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A bench file as bench/report.ts writes it, with constructed samples. */
function benchFile(name: string, schema: string, results: object[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ schema, benchmark: 'demo', startedAt: '2026-12-01T00:00:00.000Z', machine: { cpus: 2, model: 'test', memoryBytes: 1, platform: 'linux', arch: 'x64' }, versions: {}, results }));
  return path;
}

/** 20 samples: center × (1 ± 1 %), a fixed pattern. */
const around = (center: number, shift = 0): number[] => Array.from({ length: 20 }, (_, i) => center * (1 + (((i * 7 + shift) % 20) - 10) / 1000));
const row = (caseName: string, samples: number[], extra: object = {}): object => ({ benchmark: 'demo', case: caseName, metric: 'time per call', value: samples[10], unit: 'ns', samples, ...extra });

describe('wasm-sandbox compare', () => {
  const before = benchFile('before.json', 'wasm-sandbox/bench@2', [
    row('steady', around(100)), row('slower', around(100)), row('faster', around(100)),
    { benchmark: 'demo', case: 'counted', metric: 'instructions', value: 5000, unit: 'instr', deterministic: true },
  ]);
  const after = benchFile('after.json', 'wasm-sandbox/bench@2', [
    row('steady', around(100, 3)), row('slower', around(110)), row('faster', around(80)),
    { benchmark: 'demo', case: 'counted', metric: 'instructions', value: 5400, unit: 'instr', deterministic: true },
  ]);

  it('bench files: verdicts, ~ for the steady case, the exact count, a geomean row; the same output every run', () => {
    const { code, stdout } = run('compare', before, after);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\ndemo · steady · time per call +99\.95 ns ±0\.5 % +99\.95 ns ±0\.5 % +~  p=1\.000 n=20\+20 *\n/);
    expect(stdout).toMatch(/\ndemo · slower · time per call .* \+10\.0 % \[\+\d+\.\d %, \+\d+\.\d %\]  p=0\.000 n=20\+20  regressed\n/);
    expect(stdout).toMatch(/\ndemo · faster · time per call .* -20\.0 % .* improved\n/);
    expect(stdout).toMatch(/\ndemo · counted · instructions +5,000 instr +5,400 instr +\+400 \(\+8\.0 %, exact\)  exact +regressed\n/);
    expect(stdout).toMatch(/\ngeomean .* 4 cases/);
    expect(run('compare', before, after).stdout).toBe(stdout);
  });

  it('--fail-on-regression exits 3 naming each case that regressed beyond the threshold', () => {
    const gated = run('compare', before, after, '--fail-on-regression', '--threshold', '5%');
    expect(gated.code).toBe(3);
    const lines = gated.stdout.split('\n').filter((l) => l.startsWith('REGRESSION'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^REGRESSION demo · slower · time per call: \+10\.0 % \[.*\], p = .* \(Holm\), beyond ±5\.0 %$/);
    expect(lines[1]).toBe('REGRESSION demo · counted · instructions: 5000 → 5400 instr (exact, beyond ±5.0 %)');
    // Above both changes: passes.
    const loose = run('compare', before, after, '--fail-on-regression', '--threshold', '12%');
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('gate: no regression beyond the threshold');
  });

  it('old @1 files (medians only) still compare, with the few-samples warning', () => {
    const old = benchFile('old.json', 'wasm-sandbox/bench@1', [{ benchmark: 'demo', case: 'steady', metric: 'time per call', value: 100, unit: 'ns' }]);
    const { code, stdout } = run('compare', old, after);
    expect(code).toBe(0);
    expect(stdout).toContain('warning: demo · steady · time per call: 1 before, 20 after samples: cannot detect any change at α = 0.05; take at least 10 samples a side');
    expect(stdout).toContain('only after: demo · slower · time per call; demo · faster · time per call; demo · counted · instructions');
  });

  it('folders of bench files (a saved baseline) compare case by case', () => {
    mkdirSync(join(dir, 'baseline'));
    mkdirSync(join(dir, 'current'));
    writeFileSync(join(dir, 'baseline', 'demo.json'), readFileSync(before));
    writeFileSync(join(dir, 'current', 'demo.json'), readFileSync(after));
    const { code, stdout } = run('compare', join(dir, 'baseline'), join(dir, 'current'), '--fail-on-regression');
    expect(code).toBe(3);
    expect(stdout).toContain('REGRESSION demo · slower · time per call');
  });

  it('folded stacks: per-function deltas and a differential flamegraph', () => {
    const a = join(dir, 'a.folded');
    const b = join(dir, 'b.folded');
    writeFileSync(a, 'main;parse 30\nmain;eval 50\nmain 5\n');
    writeFileSync(b, 'main;parse 10\nmain;eval 50\nmain;cache 4\nmain 5\n');
    const svg = join(dir, 'diff.svg');
    const { code, stdout } = run('compare', a, b, '--flamegraph', svg);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nparse +30 +10 +-20 +-20 +0 *\n/);
    expect(stdout).toMatch(/\ncache +0 +4 +\+4 +\+4 +0 +appeared\n/);
    expect(stdout).toContain(`wrote ${svg}`);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<\?xml|^<svg/);
  });

  it('instructions profiles from profile --json: exact deltas equal to the fuel counter\'s, gated', async () => {
    const save = (n: string): string => {
      const path = join(dir, `fib-${n}.json`);
      const profiled = run('profile', guestPath('fib'), 'fib', n, '--mode', 'instructions', '--json');
      expect(profiled.code).toBe(0);
      writeFileSync(path, profiled.stdout);
      return path;
    };
    const [a, b] = [save('15'), save('16')];
    const [x, y] = [await fuelCount('fib', 'fib', 15), await fuelCount('fib', 'fib', 16)];
    const compared = run('compare', a, b, '--fail-on-regression', '--threshold', '10%');
    expect(compared.code).toBe(3);
    const shown = (n: number): string => n.toLocaleString('en-US');
    expect(compared.stdout).toContain(`exact instructions: total ${shown(x)} → ${shown(y)} (+${shown(y - x)})`);
    expect(compared.stdout).toMatch(new RegExp(`\\nassembly/fib/fib +${shown(x)} +${shown(y)} +\\+${shown(y - x)} +\\+${shown(y - x)} +\\+\\d[\\d,]* *\\n`));
    expect(compared.stdout).toContain(`REGRESSION instructions: ${x} → ${y} instructions (+${(((y - x) / x) * 100).toFixed(1)} %, exact, beyond ±10.0 %)`);
  });

  it('saved profiles (saved-profile@1, one module with its tree) compare like profiles', () => {
    const saved = (self: number): string => {
      const path = join(dir, `saved-${self}.json`);
      const tree = {
        schema: 'wasm-sandbox/call-tree@2', mode: 'instructions', unit: 'instructions', notes: [],
        root: { name: '(root)', calls: 0, total: self + 10, self: 0, min: 0, max: 0, children: [
          { name: 'main', functionIndex: 0, calls: 1, total: self + 10, self: 10, min: self + 10, max: self + 10, children: [
            { name: 'hot', functionIndex: 1, calls: 1, total: self, self, min: self, max: self, children: [] }] }] },
      };
      const profile = { schema: 'wasm-sandbox/module-profile@1', module: { id: 'x', label: 'm.wasm', sizeBytes: 1 }, instances: 1, coldStart: {}, memory: {}, cache: {}, exports: [] };
      writeFileSync(path, JSON.stringify({ schema: 'wasm-sandbox/saved-profile@1', savedAt: '2026-12-01T00:00:00Z', modules: [{ profile, tree }] }));
      return path;
    };
    const { code, stdout } = run('compare', saved(1000), saved(999));
    expect(code).toBe(0);
    expect(stdout).toContain('exact instructions: total 1,010 → 1,009 (-1)');
    expect(stdout).toMatch(/\nhot +1,000 +999 +-1 +-1 +0 *\n/);
    expect(stdout).toMatch(/\ninstructions +1,010 +1,009 +-1 +-0\.1 % +improved\n/);
  });

  it('refuses to compare unlike inputs, with a typed error', () => {
    const folded = join(dir, 'x.folded');
    writeFileSync(folded, 'main 1\n');
    const { code, stderr } = run('compare', before, folded);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ERR_COMPARE_INPUT: .*before\.json is a bench result file, .*x\.folded is not: compare like with like/);
    expect(run('compare', before, after, '--threshold', 'lots').stderr).toMatch(/^ERR_WASM_ARGUMENT: --threshold must be a percentage like 5% or a fraction like 0\.05/);
  });

  it('two .wasm builds run interleaved: same result, exact instruction counts equal to the fuel counter\'s', async () => {
    const ab = run('compare', guestPath('grid-sum-columns'), guestPath('grid-sum-rows'), 'sum', '64', '--rounds', '10');
    expect(ab.code).toBe(0);
    expect(ab.stdout).toMatch(/^A\/B grid-sum-columns\.wasm \(before\) vs grid-sum-rows\.wasm \(after\): sum\(64\), 10 rounds × \d+ calls a build, interleaved ABAB, same limits\n/);
    expect(ab.stdout).toContain('both return 12285');
    expect(ab.stdout).toMatch(/\nA\/B · sum\(64\) · time per call .* n=10\+10/);
    const [columns, rows] = [await fuelCount('grid-sum-columns', 'sum', 64), await fuelCount('grid-sum-rows', 'sum', 64)];
    const shown = (n: number): string => n.toLocaleString('en-US');
    expect(ab.stdout).toContain(`exact instructions: total ${shown(columns)} → ${shown(rows)} (0)`);
    expect(ab.stdout).toMatch(new RegExp(`\\ninstructions +${shown(columns)} +${shown(rows)} +0 +\\+0\\.0 % *\\n`));
  });

  it('the A/B runs both builds under the same limits: a fuel limit stops the call with its typed error', () => {
    const limited = run('compare', guestPath('grid-sum-columns'), guestPath('grid-sum-rows'), 'sum', '64', '--fuel', '1000');
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/^ERR_OUT_OF_FUEL: grid-sum-columns\.wasm: sum\(\): guest ran out of fuel after \d+ instructions \(limit 1000\)/);
  });

  it('the A/B differential flamegraph pairs the renamed function, so nothing appears or vanishes', () => {
    const svg = join(dir, 'ab.svg');
    expect(run('compare', guestPath('grid-sum-columns'), guestPath('grid-sum-rows'), 'sum', '16', '--rounds', '10', '--flamegraph', svg).code).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain('assembly/grid-sum-rows/sum');
    expect(text).not.toContain('assembly/grid-sum-columns/sum');
  });
});
