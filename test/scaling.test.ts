/**
 * `scale` on guests of known complexity (assembly/scaling.ts): the class fitted to exact
 * instruction counts, the quadratic helper under a linear export flagged, and the CLI.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WasmHost } from '../src/index.js';
import { measureScaling } from '../src/host/profiling/scaling-runner.js';
import { buildScalingReport } from '../src/profiler/analyze/scaling.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost();
async function scale(exportName: string, sizes: number[]) {
  const { label, samples } = await measureScaling(host, guestPath('scaling'), exportName, { sizes, timedRuns: 1 });
  return buildScalingReport(label, exportName, samples);
}

describe('scaling fit on real guests', () => {
  it('a linear sum is O(N), 15 instructions an item, the counts exact', async () => {
    const report = await scale('sumLinear', [1000, 10_000, 100_000]);
    expect(report.call.instructions).toEqual([15_012, 150_012, 1_500_012]);
    expect(report.call.fit.best.class).toBe('O(N)');
    expect(report.call.fit.best.coefficient).toBeCloseTo(15.000131868131868, 9);
    expect(report.timing!.ns).toHaveLength(3);
  });

  it('a merge sort is O(N log N), and so are its merge and recursion', async () => {
    const report = await scale('sortNLogN', [1000, 4000, 16_000]);
    expect(report.call.fit.best.class).toBe('O(N log N)');
    const byName = new Map(report.functions.map((f) => [f.name, f.fit.best.class]));
    expect(byName.get('assembly/scaling/mergeSort')).toBe('O(N log N)');
    expect(byName.get('assembly/scaling/merge')).toBe('O(N log N)');
    expect(byName.get('assembly/scaling/nextRandom')).toBe('O(N)');
    expect(report.functions.filter((f) => f.worseThanExport)).toEqual([]);
  });

  it('a nested loop is O(N²)', async () => {
    const report = await scale('pairsQuadratic', [100, 200, 400, 800]);
    expect(report.call.fit.best.class).toBe('O(N^2)');
    expect(report.call.instructions).toEqual([201_712, 803_412, 3_206_812, 12_813_612]);
  });

  it('the quadratic helper under a linear loop is flagged, the export fitting O(N)', async () => {
    const report = await scale('linearWithQuadraticHelper', [1000, 2000, 4000, 8000]);
    expect(report.call.fit.best.class).toBe('O(N)');
    const flagged = report.functions.filter((f) => f.worseThanExport);
    expect(flagged.map((f) => [f.name, f.fit.best.class])).toEqual([['assembly/scaling/countDuplicates', 'O(N^2)']]);
    expect(flagged[0]!.overtakesAt).toBe(256_000);
    expect(report.functions.find((f) => f.name === 'assembly/scaling/work')!.fit.best.class).toBe('O(N)');
  });

  it('refuses fewer than three sizes, and an argument template that does not fit the export', async () => {
    await expect(measureScaling(host, guestPath('scaling'), 'sumLinear', { sizes: [10, 100] })).rejects.toThrow(/--sizes needs at least three distinct integers/);
    await expect(measureScaling(host, guestPath('scaling'), 'sumLinear', { sizes: [10, 100, 1000], argTemplate: ['{n}', '1'] })).rejects.toThrow(/sumLinear takes 1 argument\(s\) \(i32\); --arg-template gives 2/);
  });

  it('wasm-sandbox scale prints the fit and the flag; --json is the report', () => {
    const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
    const text = spawnSync(process.execPath, [cli, 'scale', guestPath('scaling'), 'linearWithQuadraticHelper', '--sizes', '1000,2000,4000,8000', '--arg-template', '{n}'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/whole call \(instructions, exact\): O\(N\) {2}coefficient 945\.8 {2}rms 0\.72 %/);
    expect(text.stdout).toMatch(/\n! assembly\/scaling\/countDuplicates grows as O\(N\^2\), faster than linearWithQuadraticHelper \(O\(N\)\): 2\.3 % of the call at N = 8,000/);
    const json = spawnSync(process.execPath, [cli, 'scale', guestPath('scaling'), 'pairsQuadratic', '--sizes', '100,200,400', '--json'], { encoding: 'utf8' });
    expect((JSON.parse(json.stdout) as { schema: string; call: { fit: { best: { class: string } } } }).call.fit.best.class).toBe('O(N^2)');
  });
});
