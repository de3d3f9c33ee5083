/**
 * Real runs for the HTML report's tests: a names module (test/helpers/guests.ts) whose guest
 * functions carry hostile names, loaded instrumented, profiled by instruction count, its
 * exports called; the profile and call tree are what the host and profiler hand out.
 */
import { GuestProfiler, WasmHost, type ReportRun } from '../../src/index.js';
import type { AnalysisReport } from '../../src/profiler/model/finding.js';
import { functionNames, nameSection, namesModule } from './guests.js';

/** Executes if any name is ever parsed as markup: the tests check it never ran. */
export const HOSTILE_FUNCTION = '<img src=x onerror="window.__pwned=1">';
export const HOSTILE_SCRIPT = '<script>window.__pwned=2</script>';
export const MODULE_LABEL = 'names<b>.wasm';

const host = new WasmHost({ instrumentCacheDir: false });

/** `run(n)` calls function 3 (`HOSTILE_FUNCTION`) and 4 (`helper`) n times each; `control` once per call. */
export async function namesRun(runName: string, n: number, controlCalls: number): Promise<ReportRun> {
  const bytes = namesModule(nameSection(functionNames([[0, 'boom'], [1, 'trap'], [2, 'run'], [3, HOSTILE_FUNCTION], [4, 'helper'], [5, HOSTILE_SCRIPT]])));
  const module = await host.load(bytes, { label: MODULE_LABEL, instrument: { hooks: true, fuel: true } });
  const profiler = new GuestProfiler(module, 'instructions');
  const sandbox = profiler.instantiate();
  for (let i = 0; i < 3; i++) sandbox.call('run', n);
  for (let i = 0; i < controlCalls; i++) sandbox.call('control', i);
  return { name: runName, modules: [{ profile: module.profile(), tree: profiler.tree() }] };
}

/** Findings as the analyzer hands them out (plain data), pointing at this module's functions and exports. */
export function namesAnalysis(): AnalysisReport {
  return {
    schema: 'wasm-sandbox/analysis@1',
    findings: [
      {
        id: 'hot-function',
        category: 'cpu',
        severity: 'high',
        title: `${HOSTILE_FUNCTION} spends most instructions`,
        where: { module: MODULE_LABEL, function: HOSTILE_FUNCTION },
        evidence: [{ label: 'self share', value: 50, unit: '%' }],
        recommendation: `Make ${HOSTILE_SCRIPT} cheaper`,
        saving: { value: 1200, unit: 'instructions', share: 0.5, how: 'halving its self cost' },
        confidence: { kind: 'exact' },
        score: 600,
      },
      {
        id: 'host-boundary',
        category: 'host-boundary',
        severity: 'medium',
        title: 'control is called often for little work',
        where: { module: MODULE_LABEL, export: 'control' },
        evidence: [{ label: 'calls', value: 40, unit: 'calls' }],
        recommendation: 'Batch the calls to control.',
        saving: { value: 30, unit: 'ns', how: 'one call instead of many' },
        confidence: { kind: 'interval', low: 10, high: 50, level: 0.95 },
        score: 20,
      },
      {
        id: 'cold-start',
        category: 'cold-start',
        severity: 'low',
        title: 'Compile dominates the first call',
        where: { module: MODULE_LABEL },
        evidence: [{ label: 'compile', value: 1.5, unit: 'ms' }],
        recommendation: 'Keep the module cache warm.',
        saving: { value: 1.5, unit: 'ms', how: 'a cache hit' },
        confidence: { kind: 'p-value', p: 0.01 },
        score: 1,
      },
    ],
    passed: [{ id: 'leak', title: 'No export leaks memory' }],
  };
}
