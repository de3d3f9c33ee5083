/**
 * `wasm-sandbox profile <file> <export> [args…] --mode cache`: runs the export with every load
 * and store fed to the cache simulator (the wasm recorder), prints a cg_annotate-like table
 * headed by the geometry, and writes cachegrind's format with `--cachegrind out.file`;
 * `--findings` analyses that same simulation (poor-locality …).
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { WasmArgumentError, WasmHost, callOverheadNs, parseArgument } from '../index.js';
import { parseSetup, runSetup } from './setup-call.js';
import type { SandboxLink } from './link-options.js';
import { analyseRun, printRunAnalysis, type RunAnalysisOptions } from './analyze-command.js';
import { CacheProfiler } from '../host/profiling/cache-profiler.js';
import { parseCacheLevel } from '../profiler/build/cache-geometry.js';
import type { CacheLevelGeometry, CacheReport } from '../profiler/model/cache-report.js';
import { toCachegrind } from '../profiler/export/cachegrind.js';
import { formatCacheReport } from '../profiler/render/cache-table.js';

export interface CacheCommandOptions extends RunAnalysisOptions {
  readonly repeat: number;
  /** cachegrind's `--D1=size,assoc,line` / `--LL=…` text. */
  readonly d1?: string;
  readonly ll?: string;
  readonly cachegrind?: string;
  readonly json: boolean;
  /** `export args…` called once before the profiled calls (`--setup`). */
  readonly setup?: string;
  /** What the guest is granted (`--imports`, `--trap-unknown-imports`). */
  readonly link?: SandboxLink;
}

function level(text: string | undefined, flag: string): CacheLevelGeometry | undefined {
  if (text === undefined) return undefined;
  const parsed = parseCacheLevel(text);
  if (typeof parsed === 'string') throw new WasmArgumentError(`${flag}: ${parsed}`);
  return parsed;
}

export async function cacheCommand(
  host: WasmHost,
  file: string,
  exportName: string,
  args: readonly string[],
  options: CacheCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void = out,
): Promise<{ report: CacheReport; exitCode: number }> {
  if (!Number.isInteger(options.repeat) || options.repeat < 1) throw new WasmArgumentError(`--repeat must be a positive integer, got ${options.repeat}`);
  const d1 = level(options.d1, '--D1');
  const ll = level(options.ll, '--LL');
  const module = await host.load(file, { instrument: { memory: true, hooks: true } });
  const entry = module.inspect().exports.find((e) => e.name === exportName);
  const params = entry?.signature?.params ?? [];
  if (entry?.signature !== undefined && args.length !== params.length) {
    throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
  }
  const values = entry?.signature === undefined ? [...args] : args.map((text, i) => parseArgument(params[i]!, text));
  const profiler = new CacheProfiler(module, { ...(d1 === undefined ? {} : { d1 }), ...(ll === undefined ? {} : { ll }) });
  const setup = parseSetup(module, options.setup);
  const sandbox = profiler.instantiate(options.link);
  runSetup(sandbox, setup);
  for (let i = 0; i < options.repeat; i++) sandbox.call(exportName, ...values);
  const report = profiler.report();
  if (options.cachegrind !== undefined) {
    writeFileSync(options.cachegrind, toCachegrind(report, { command: `${basename(file)} ${exportName}(${args.join(', ')}) × ${options.repeat}`, file: basename(file) }));
  }
  const analysis = analyseRun(() => ({ profile: module.profile(), callOverheadNs: callOverheadNs() }), options, { file, export: exportName, args: [...args], mode: 'cache', repeat: options.repeat });
  if (options.json) {
    // The report, and beside its fields the module profile (less the report it would repeat), so
    // `wasm-sandbox report` reads this output; its analysis too when asked for.
    const { cacheSimulation: _repeated, ...profile } = module.profile();
    out(JSON.stringify({ ...report, profile, ...(analysis === undefined ? {} : { analysis }) }, null, 2));
  } else {
    out(formatCacheReport(report, 20));
    if (options.cachegrind !== undefined) out(`wrote ${options.cachegrind} (read it with cg_annotate)`);
    if (options.save !== undefined) out(`wrote ${options.save}`);
  }
  return { report, exitCode: printRunAnalysis(analysis, { json: options.json, failOn: options.failOn }, out, err) };
}
