/**
 * `wasm-sandbox profile <file> <export> [args…] --mode alloc`: runs the export under the
 * allocation profiler (allocator + call-tree hooks + fuel: sites are full guest stacks, lifetimes
 * are counted in instructions) and prints top sites, leaks, the peak, temporary allocations and,
 * with `--repeat`, the per-call leak check; `--findings` analyses that same report (leak,
 * allocation-hot-spot, memory-growth …).
 */
import { writeFileSync } from 'node:fs';
import { parseSetup, runSetup } from './setup-call.js';
import type { SandboxLink } from './link-options.js';
import { analyseRun, printRunAnalysis, type RunAnalysisOptions } from './analyze-command.js';
import { gzipSync } from 'node:zlib';
import { ALLOCATION_WEIGHTS, callOverheadNs, AllocationProfiler, WasmArgumentError, allocationTree, formatAllocations, renderFlamegraph, toFolded, toPprofHeap, type AllocationWeight, type CallTree, type WasmHost } from '../index.js';

export interface AllocCommandOptions extends RunAnalysisOptions {
  readonly repeat: number;
  readonly weight?: string;
  readonly flamegraph?: string;
  readonly pprof?: string;
  readonly folded?: string;
  readonly icicle: boolean;
  readonly json: boolean;
  /** `export args…` called once before the profiled calls (`--setup`). */
  readonly setup?: string;
  /** What the guest is granted (`--imports`, `--trap-unknown-imports`). */
  readonly link?: SandboxLink;
}

export async function allocCommand(
  host: WasmHost,
  file: string,
  exportName: string,
  values: readonly unknown[],
  args: readonly string[],
  options: AllocCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void = out,
): Promise<{ tree: CallTree; exitCode: number }> {
  const weight = (options.weight ?? 'liveAtPeak') as AllocationWeight;
  if (!ALLOCATION_WEIGHTS.includes(weight)) throw new WasmArgumentError(`--weight must be one of ${ALLOCATION_WEIGHTS.join(', ')}, got ${JSON.stringify(options.weight)}`);
  // Stacks (hooks) and lifetimes in instructions (fuel): the JS tracker, an analysis mode.
  const module = await host.load(file, { instrument: { allocator: true, hooks: true, fuel: true } });
  // A collected heap's live blocks are what the guest still references: sweep after each call.
  const collects = module.inspect().exports.some((e) => e.name === '__collect' && e.kind === 'function');
  const profiler = new AllocationProfiler(module, { collectAfterEachCall: collects });
  const setup = parseSetup(module, options.setup);
  const sandbox = profiler.instantiate(options.link);
  runSetup(sandbox, setup);
  for (let i = 0; i < options.repeat; i++) sandbox.call(exportName, ...values);
  const report = profiler.report();
  const tree = allocationTree(report, weight);
  const title = `${module.label} ${exportName}(${args.join(', ')}) × ${options.repeat} — allocations (${weight})`;
  if (options.flamegraph) writeFileSync(options.flamegraph, renderFlamegraph(tree, { title, icicle: options.icicle }));
  if (options.pprof) writeFileSync(options.pprof, toPprofHeap(report));
  if (options.folded) writeFileSync(options.folded, options.folded.endsWith('.gz') ? gzipSync(toFolded(tree)) : toFolded(tree));
  const analysis = analyseRun(() => ({ profile: module.profile(), callOverheadNs: callOverheadNs() }), options, { file, export: exportName, args: [...args], mode: 'alloc', repeat: options.repeat });
  if (options.json) {
    // With the module profile beside it (less the report it would repeat), `wasm-sandbox report` reads this output.
    const { allocations: _repeated, ...profile } = module.profile();
    out(JSON.stringify({ allocations: report, profile, ...(analysis === undefined ? {} : { analysis }) }, null, 2));
  } else {
    out(formatAllocations(report, 15));
    if (collects) out('note: the collector ran after every call (__collect), so live means still referenced');
    const written = [options.flamegraph, options.pprof, options.folded, options.save].filter(Boolean);
    if (written.length > 0) out(`wrote ${written.join(', ')}`);
  }
  return { tree, exitCode: printRunAnalysis(analysis, { json: options.json, failOn: options.failOn }, out, err) };
}
