/**
 * Interleaved A/B of two builds of a guest in one process: the optimisation-validation run no
 * command-line peer can do. Both modules load into the same host under the same limits; their
 * export runs alternately (A B A B …), so a slow phase of the machine slows both alike. Then each
 * build runs once more, instrumented, to count its instructions per function exactly.
 * This adapter only measures and hands out plain data; profiler/compare/ judges it.
 */
import { CompareInputError } from '../../errors.js';
import { functionStats } from '../../profiler/model/call-tree.js';
import type { InterleavedRun, InterleavedSide } from '../../profiler/compare/compare-interleaved.js';
import type { WasmHost } from '../host.js';
import type { ModuleSource } from '../source.js';
import type { GuestModule } from '../guest-module.js';
import { GuestProfiler } from './guest-profiler.js';

/** Each default written once (TSDoc, code and CLI help read these). */
export const INTERLEAVED_DEFAULTS = {
  rounds: 20,
  warmupRounds: 2,
  /** A round of the faster build lasts at least this long, so the clock's resolution and one-off stalls matter less. */
  minRoundNs: 5_000_000,
} as const;

export interface InterleavedOptions {
  /** Measured rounds per build (each round: A's calls, then B's). @default 20 */
  readonly rounds?: number;
  /** Rounds run first and thrown away (JIT tiers, caches). @default 2 */
  readonly warmupRounds?: number;
  /** Calls per round; by default enough for the faster build's round to last ≥ 5 ms. */
  readonly callsPerRound?: number;
  /** Limits for every call of both builds (rewrites both guests the same way). */
  readonly fuel?: number;
  readonly timeoutMs?: number;
  /** Skip the instrumented run that counts instructions (for modules binaryen cannot rewrite). */
  readonly countInstructions?: boolean;
  /** Nanosecond clock (injected by tests). @default process.hrtime.bigint */
  readonly now?: () => bigint;
  /** Told after each round (warm-up rounds included) how many of `total` are done: for a progress bar. */
  readonly onRound?: (done: number, total: number) => void;
}

function signatureOf(module: GuestModule, exportName: string): string {
  const entry = module.inspect().exports.find((e) => e.name === exportName && e.kind === 'function');
  if (entry === undefined) throw new CompareInputError(`${module.label} has no function export ${JSON.stringify(exportName)}`);
  return entry.type;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`options.${name} must be a positive integer, got ${value}`);
  return value;
}

export async function runInterleaved(
  host: WasmHost,
  before: ModuleSource,
  after: ModuleSource,
  exportName: string,
  args: readonly unknown[],
  options: InterleavedOptions = {},
): Promise<InterleavedRun> {
  const rounds = positiveInteger(options.rounds ?? INTERLEAVED_DEFAULTS.rounds, 'rounds');
  const warmupRounds = options.warmupRounds ?? INTERLEAVED_DEFAULTS.warmupRounds;
  const now = options.now ?? process.hrtime.bigint;
  const limited = options.fuel !== undefined || options.timeoutMs !== undefined;
  const loadOptions = limited ? { instrument: { fuel: options.fuel !== undefined, deadline: true } } : {};
  const sandboxOptions = { ...(options.fuel === undefined ? {} : { fuel: options.fuel }), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };

  const modules = [await host.load(before, loadOptions), await host.load(after, loadOptions)] as const;
  const [sigA, sigB] = modules.map((m) => signatureOf(m, exportName));
  if (sigA !== sigB) throw new CompareInputError(`${exportName} differs between the builds: ${modules[0].label} has ${sigA}, ${modules[1].label} ${sigB}`);
  const sandboxes = modules.map((m) => m.instantiate(sandboxOptions));
  const calls = sandboxes.map((s) => s.fn(exportName));
  const results = calls.map((call) => call(...args) as unknown);

  const timeRound = (call: (...a: unknown[]) => unknown, n: number): number => {
    const start = now();
    for (let i = 0; i < n; i++) call(...args);
    return Number(now() - start) / n;
  };
  const callsPerRound = options.callsPerRound === undefined
    ? Math.min(1_000_000, Math.max(1, Math.ceil(INTERLEAVED_DEFAULTS.minRoundNs / Math.max(1, Math.min(...calls.map((c) => timeRound(c, 1)))))))
    : positiveInteger(options.callsPerRound, 'callsPerRound');

  const samples: [number[], number[]] = [[], []];
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (const side of [0, 1] as const) {
      const ns = timeRound(calls[side]!, callsPerRound);
      if (round >= warmupRounds) samples[side].push(ns);
    }
    options.onRound?.(round + 1, warmupRounds + rounds);
  }

  const counted = options.countInstructions === false ? [undefined, undefined] : await Promise.all([before, after].map(async (source) => {
    const module = await host.load(source, { instrument: { hooks: true, fuel: true } });
    const profiler = new GuestProfiler(module, 'instructions');
    const sandbox = profiler.instantiate(sandboxOptions);
    sandbox.call(exportName, ...args);
    const tree = profiler.tree();
    return { instructions: sandbox.lastCallInstructions, tree, functions: functionStats(tree), profile: module.profile() };
  }));

  const side = (i: 0 | 1): InterleavedSide => ({
    label: modules[i].label,
    moduleId: modules[i].id,
    nsPerCall: samples[i],
    result: results[i],
    instructions: counted[i]?.instructions,
    functions: counted[i]?.functions,
    tree: counted[i]?.tree,
    profile: counted[i]?.profile,
  });
  return { exportName, args, rounds, callsPerRound, order: 'ABAB', before: side(0), after: side(1) };
}
