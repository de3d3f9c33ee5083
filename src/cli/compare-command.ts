/**
 * `wasm-sandbox compare <before> <after> [export args…]`: reads two bench result files (or
 * folders of them), two saved profiles or folded stacks, or runs two .wasm builds interleaved,
 * and prints the comparison; `--fail-on-regression` turns it into a CI gate (exit 3).
 * Reading files and printing are all this file does: the judging is profiler/compare/'s.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CompareInputError, WasmArgumentError, WasmHost, parseArgument } from '../index.js';
import { benchCases, isBenchFile, type BenchCase } from '../profiler/compare/bench-input.js';
import { compareBenchmarks, type CompareOptions } from '../profiler/compare/compare-benchmarks.js';
import { compareInterleaved } from '../profiler/compare/compare-interleaved.js';
import { compareProfiles, type ProfileComparison } from '../profiler/compare/compare-profiles.js';
import { namesOnly } from '../profiler/compare/names-only.js';
import { isProfileJson, profileFromFolded, profileFromJson, type ProfileSide } from '../profiler/compare/profile-input.js';
import { benchGateFailures, exactGateFailures, type GateFailure } from '../profiler/compare/regression-gate.js';
import { COMPARE_DEFAULTS } from '../profiler/compare/statistics.js';
import type { CallTree } from '../profiler/model/call-tree.js';
import { formatBenchComparison, formatProfileComparison } from '../profiler/render/comparison-text.js';
import { renderDiffFlamegraph } from '../profiler/render/diff-flamegraph.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';
import { runInterleaved, INTERLEAVED_DEFAULTS } from '../host/profiling/interleaved-ab.js';
import { startProgress } from './progress.js';

export const COMPARE_USAGE = `  compare <before> <after>        compare two bench result files (or folders of them), saved profiles or folded stacks
  compare <before.wasm> <after.wasm> <export> [args…]   run both builds interleaved (ABAB) and compare
    --rounds N                    A/B: measured rounds per build (default ${INTERLEAVED_DEFAULTS.rounds})
    --threshold P%                noise threshold (default ${COMPARE_DEFAULTS.threshold * 100}%)
    --alpha A                     significance level after Holm–Bonferroni (default ${COMPARE_DEFAULTS.alpha})
    --seed N                      bootstrap seed (default 1: the same inputs print the same output)
    --fail-on-regression          exit 3 naming each case that regressed beyond the threshold
    --flamegraph diff.svg         differential flamegraph (profiles, folded stacks, A/B instructions)`;

export interface CompareCommandOptions {
  readonly rounds?: number;
  readonly threshold?: string;
  readonly alpha?: string;
  readonly seed?: string;
  readonly failOnRegression: boolean;
  readonly flamegraph?: string;
  readonly json: boolean;
  readonly memoryLimitPages?: number;
  readonly fuel?: number;
  readonly timeoutMs?: number;
  /** No progress bar for the A/B even on a terminal. */
  readonly quiet?: boolean;
}

/** "5%", "5 %" or "0.05" → 0.05. */
export function parseThreshold(text: string): number {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  const value = percent ? Number(percent[1]) / 100 : Number(text);
  if (!Number.isFinite(value) || value < 0 || (!percent && value >= 1)) {
    throw new WasmArgumentError(`--threshold must be a percentage like 5% or a fraction like 0.05, got ${JSON.stringify(text)}`);
  }
  return value;
}

export type Input =
  | { readonly kind: 'wasm'; readonly path: string }
  | { readonly kind: 'bench'; readonly cases: BenchCase[] }
  | { readonly kind: 'profile'; readonly side: ProfileSide };

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function readInput(path: string): Input {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new CompareInputError(`${path}: no such file or folder`);
  }
  if (stats.isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith('.json')).sort();
    const cases = files.flatMap((f) => {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(join(path, f), 'utf8'));
      } catch (error) {
        throw new CompareInputError(`${join(path, f)}: not JSON (${(error as Error).message})`);
      }
      // Other JSON beside the bench files (a saved profile, a config) is not a case.
      return isBenchFile(value) ? benchCases(value, join(path, f)) : [];
    });
    if (cases.length === 0) throw new CompareInputError(`${path}: no bench result files in this folder`);
    return { kind: 'bench', cases };
  }
  let bytes: Buffer = readFileSync(path);
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return { kind: 'wasm', path };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'profile', side: profileFromFolded(text, path) };
  }
  if (isBenchFile(value)) return { kind: 'bench', cases: benchCases(value, path) };
  if (isSavedProfile(value)) return { kind: 'profile', side: savedProfileSide(value, path) };
  if (isProfileJson(value)) return { kind: 'profile', side: profileFromJson(value, path) };
  throw new CompareInputError(`${path}: not a bench result file, a saved profile, a call tree or folded stacks`);
}

/** `profile --save` files (wasm-sandbox/saved-profile@1): one module a side, its tree beside it. */
function isSavedProfile(value: unknown): value is { modules: { profile: unknown; tree?: unknown }[] } {
  return typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === 'wasm-sandbox/saved-profile@1';
}

function savedProfileSide(value: { modules: { profile: unknown; tree?: unknown }[] }, path: string): ProfileSide {
  if (!Array.isArray(value.modules) || value.modules.length !== 1) {
    throw new CompareInputError(`${path}: compare takes a saved profile of one module, this one has ${Array.isArray(value.modules) ? value.modules.length : 'no'} modules`);
  }
  const [only] = value.modules;
  const profile = only!.profile;
  return profileFromJson(only!.tree === undefined ? profile : { ...(profile as object), tree: only!.tree }, path);
}

function compareOptions(options: CompareCommandOptions): CompareOptions {
  const seed = options.seed === undefined ? undefined : Number(options.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new WasmArgumentError(`--seed must be an integer, got ${JSON.stringify(options.seed)}`);
  const alpha = options.alpha === undefined ? undefined : Number(options.alpha);
  if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new WasmArgumentError(`--alpha must be in (0, 1), got ${JSON.stringify(options.alpha)}`);
  return {
    ...(options.threshold === undefined ? {} : { threshold: parseThreshold(options.threshold) }),
    ...(alpha === undefined ? {} : { alpha }),
    ...(seed === undefined ? {} : { seed }),
  };
}

function writeFlamegraph(path: string | undefined, before: CallTree | undefined, after: CallTree | undefined, title: string, counts: ProfileComparison | undefined, out: (t: string) => void): void {
  if (path === undefined) return;
  if (before === undefined || after === undefined) throw new CompareInputError('--flamegraph needs a call tree on both sides (profiles saved with a tree, folded stacks, or an A/B run)');
  const renamed = new Map((counts?.functions ?? []).filter((f) => f.renamedFrom !== undefined).map((f) => [f.renamedFrom!, f.name]));
  writeFileSync(path, renderDiffFlamegraph(namesOnly(before, renamed), namesOnly(after), { title }));
  out(`wrote ${path}`);
}

function reportGate(failures: readonly GateFailure[], options: CompareCommandOptions, out: (t: string) => void): number {
  if (!options.failOnRegression) return 0;
  if (failures.length === 0) {
    out('gate: no regression beyond the threshold');
    return 0;
  }
  for (const f of failures) out(`REGRESSION ${terminalSafe(f.name)}: ${f.reason}`);
  return 3;
}

export async function compareCommand(positionals: readonly string[], options: CompareCommandOptions, out: (text: string) => void): Promise<number> {
  const [beforePath, afterPath, exportName, ...args] = positionals;
  if (beforePath === undefined || afterPath === undefined) throw new WasmArgumentError('compare takes two inputs: before and after (bench files, profiles, folded stacks, or .wasm builds with an export)');
  const before = readInput(beforePath);
  const after = readInput(afterPath);
  if (before.kind !== after.kind) throw new CompareInputError(`${beforePath} is a ${before.kind === 'wasm' ? '.wasm module' : before.kind === 'bench' ? 'bench result file' : 'profile'}, ${afterPath} is not: compare like with like`);
  const compare = compareOptions(options);
  const threshold = compare.threshold ?? COMPARE_DEFAULTS.threshold;

  if (before.kind === 'wasm') {
    if (exportName === undefined) throw new WasmArgumentError('compare of two .wasm builds needs the export to run: compare before.wasm after.wasm <export> [args…]');
    const host = new WasmHost(options.memoryLimitPages === undefined ? {} : { memoryLimitPages: options.memoryLimitPages });
    const probe = await host.load(beforePath);
    const params = probe.inspect().exports.find((e) => e.name === exportName)?.signature?.params;
    if (params !== undefined && params.length !== args.length) throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
    const values = params === undefined ? [...args] : args.map((text, i) => parseArgument(params[i]!, text));
    const total = (options.rounds ?? INTERLEAVED_DEFAULTS.rounds) + INTERLEAVED_DEFAULTS.warmupRounds;
    const progress = startProgress(`A/B ${exportName}`, total, { quiet: options.quiet === true, unit: 'rounds' });
    const run = await runInterleaved(host, beforePath, afterPath, exportName, values, {
      ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
      ...(options.fuel === undefined ? {} : { fuel: options.fuel }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      onRound: (done) => progress.set(done),
    }).finally(() => progress.stop());
    const result = compareInterleaved(run, compare);
    if (options.json) out(JSON.stringify({ ...result, run: { ...run, before: { ...run.before, tree: undefined, profile: undefined }, after: { ...run.after, tree: undefined, profile: undefined } } }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    else {
      out(`A/B ${terminalSafe(run.before.label)} (before) vs ${terminalSafe(run.after.label)} (after): ${terminalSafe(exportName)}(${args.map((a) => terminalSafe(a)).join(', ')}), ` +
        `${run.rounds} rounds × ${run.callsPerRound} calls a build, interleaved ABAB, same limits`);
      out(result.resultsAgree ? `both return ${terminalSafe(String(run.before.result))}` : `WARNING: the builds return different results: ${terminalSafe(String(run.before.result))} before, ${terminalSafe(String(run.after.result))} after`);
      out('');
      out(formatBenchComparison(result.timed));
      if (result.counts) {
        out('');
        out(formatProfileComparison(result.counts));
      }
    }
    writeFlamegraph(options.flamegraph, run.before.tree, run.after.tree, `${exportName}: instructions, ${run.before.label} → ${run.after.label}`, result.counts, out);
    return reportGate([...benchGateFailures(result.timed), ...exactGateFailures(result.counts?.exactMetrics ?? [], threshold)], options, out);
  }
  if (exportName !== undefined) throw new WasmArgumentError('an export and arguments only go with two .wasm builds');

  if (before.kind === 'bench' && after.kind === 'bench') {
    const comparison = compareBenchmarks(before.cases, after.cases, compare);
    out(options.json ? JSON.stringify(comparison, null, 2) : formatBenchComparison(comparison));
    if (options.flamegraph !== undefined) throw new CompareInputError('--flamegraph needs profiles or folded stacks, not bench result files');
    return reportGate(benchGateFailures(comparison), options, out);
  }
  if (before.kind === 'profile' && after.kind === 'profile') {
    const comparison = compareProfiles(before.side, after.side, { threshold });
    out(options.json ? JSON.stringify(comparison, null, 2) : formatProfileComparison(comparison));
    writeFlamegraph(options.flamegraph, before.side.tree, after.side.tree, `${beforePath} → ${afterPath}`, comparison, out);
    return reportGate(exactGateFailures(comparison.exactMetrics, threshold), options, out);
  }
  throw new CompareInputError('unreachable: inputs of one kind');
}
