/**
 * `wasm-sandbox tune <file> <export> [args…]`: the tuner's offline mode — the workload through a
 * pool at a fixed concurrency for a fixed time — printing the recommendation and the trial log.
 */
import { WasmArgumentError, parseArgument, type PoolModuleOptions, type WasmHost } from '../index.js';
import { formatSettings, formatTuningLog } from '../profiler/render/tuning-log.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';
import { OFFLINE_DEFAULTS, tuneOffline } from '../tuner/offline.js';
import { moduleIdOf } from './link-options.js';

export const TUNE_COMMAND_DEFAULTS = { concurrency: 16, durationS: 30, p99Ms: OFFLINE_DEFAULTS.objective.p99BoundMs } as const;

export interface TuneCommandOptions {
  readonly concurrency: number;
  readonly durationS: number;
  readonly objective: string;
  readonly p99Ms: number;
  readonly maxThreads?: number;
  /** What the guest is granted (`--imports`, `--trap-unknown-imports`). */
  readonly link?: Pick<PoolModuleOptions, 'importsModule' | 'unknownImports'>;
  readonly json: boolean;
}

function positive(value: number, flag: string, integer: boolean): number {
  if (!(value > 0 && Number.isFinite(value)) || (integer && !Number.isInteger(value))) {
    throw new WasmArgumentError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

export async function tuneCommand(host: WasmHost, file: string, exportName: string, args: readonly string[], options: TuneCommandOptions, out: (text: string) => void): Promise<void> {
  if (options.objective !== 'throughput' && options.objective !== 'cpu') throw new WasmArgumentError(`--objective must be throughput or cpu, got ${JSON.stringify(options.objective)}`);
  const concurrency = positive(options.concurrency, '--concurrency', true);
  const durationS = positive(options.durationS, '--duration', false);
  const p99BoundMs = positive(options.p99Ms, '--p99', false);
  const maxThreads = options.maxThreads === undefined ? undefined : positive(options.maxThreads, '--max-threads', true);
  // Arguments parsed by the export's parameter types, as `run` does.
  const entry = (await host.load(file)).inspect().exports.find((e) => e.name === exportName);
  if (entry === undefined) throw new WasmArgumentError(`${terminalSafe(file)} has no export ${terminalSafe(exportName)}`);
  const params = entry.signature?.params ?? [];
  if (entry.signature !== undefined && args.length !== params.length) {
    throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
  }
  const parsed = entry.signature === undefined ? args : args.map((text, i) => parseArgument(params[i]!, text));
  const result = await tuneOffline({
    source: { source: file, ...options.link },
    moduleId: moduleIdOf(file),
    exportName,
    args: parsed,
    concurrency,
    durationMs: durationS * 1000,
    objective: { kind: options.objective === 'cpu' ? 'cpu-per-call' : 'throughput', p99BoundMs },
    ...(maxThreads === undefined ? {} : { maxThreads }),
  });
  if (options.json) {
    out(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return;
  }
  out(`${result.calls} calls (${result.failures} failed) at concurrency ${concurrency} for ${durationS} s\n`);
  out(formatSettings(result.start, result.recommended));
  out('');
  out(formatTuningLog(result.log));
}
