/**
 * Runs an export over several input sizes for `wasm-sandbox scale`: at each size a fresh
 * sandbox of the module instrumented for instruction counting (hooks + fuel) gives the call's
 * exact instructions and every function's inclusive instructions; a fresh sandbox of the plain
 * module gives the median wall-clock time beside them. The fit itself is pure
 * (profiler/analyze/scaling.ts).
 */
import { WasmArgumentError } from '../../errors.js';
import { functionStats } from '../../profiler/model/call-tree.js';
import type { ScalingSample } from '../../profiler/model/scaling-report.js';
import { parseArgument } from '../arguments.js';
import type { WasmHost } from '../host.js';
import type { ModuleSource } from '../source.js';
import { GuestProfiler } from './guest-profiler.js';

export interface ScalingOptions {
  /** Input sizes (integers ≥ 1), at least three. */
  readonly sizes: readonly number[];
  /** The export's arguments, `{n}` standing for the size. @default ['{n}'] */
  readonly argTemplate?: readonly string[];
  /** Timed calls per size (plain module); 0 skips timing. @default 5 */
  readonly timedRuns?: number;
  /** Fuel per call, large enough for the largest size. @default 1e15 */
  readonly fuel?: number;
}

export const DEFAULT_ARG_TEMPLATE: readonly string[] = ['{n}'];
export const DEFAULT_TIMED_RUNS = 5;

export async function measureScaling(host: WasmHost, source: ModuleSource, exportName: string, options: ScalingOptions): Promise<{ label: string; samples: ScalingSample[] }> {
  const sizes = [...new Set(options.sizes)].sort((a, b) => a - b);
  if (sizes.length < 3 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new WasmArgumentError(`--sizes needs at least three distinct integers ≥ 1 (a fit through two points proves nothing), got ${options.sizes.join(',')}`);
  }
  const template = options.argTemplate ?? DEFAULT_ARG_TEMPLATE;
  const timedRuns = options.timedRuns ?? DEFAULT_TIMED_RUNS;
  const counted = await host.load(source, { instrument: { hooks: true, fuel: true } });
  const plain = timedRuns > 0 ? await host.load(source) : undefined;
  const entry = counted.inspect().exports.find((e) => e.name === exportName);
  const params = entry?.signature?.params ?? [];
  if (entry?.signature !== undefined && template.length !== params.length) {
    throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}); --arg-template gives ${template.length} (${template.join(',')})`);
  }
  const argsFor = (n: number): unknown[] => template.map((t, i) => {
    const text = t.replaceAll('{n}', String(n));
    return entry?.signature === undefined ? text : parseArgument(params[i]!, text);
  });

  const profiler = new GuestProfiler(counted, 'instructions');
  const samples: ScalingSample[] = [];
  for (const n of sizes) {
    const args = argsFor(n);
    profiler.reset();
    const sandbox = profiler.instantiate({ fuel: options.fuel ?? 1e15 });
    const report = sandbox.callWithMetrics(exportName, ...args);
    if (report.error !== undefined) throw report.error;
    const functions = functionStats(profiler.tree()).map((f) => ({
      name: f.name,
      ...(f.functionIndex === undefined ? {} : { functionIndex: f.functionIndex }),
      total: f.total,
      calls: f.calls,
    }));
    let timeNs: number | undefined;
    if (plain !== undefined) {
      const times: number[] = [];
      const timedSandbox = plain.instantiate();
      for (let run = 0; run < timedRuns; run++) {
        const timed = timedSandbox.callWithMetrics(exportName, ...args);
        if (timed.error !== undefined) throw timed.error;
        times.push(timed.metrics.latencyNs);
      }
      times.sort((a, b) => a - b);
      timeNs = times[times.length >> 1];
    }
    samples.push({ n, instructions: report.metrics.instructions ?? 0, functions, ...(timeNs === undefined ? {} : { timeNs }) });
  }
  return { label: counted.label, samples };
}
