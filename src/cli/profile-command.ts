/**
 * `wasm-sandbox profile <file> <export> [args…]`: runs the export under the chosen profiling
 * mode, prints the top functions, and writes the requested exports.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { GuestProfiler, WasmArgumentError, WasmHost, filterTree, formatTopFunctions, functionStats, parseArgument, renderFlamegraph, toCpuProfile, toFolded, toPprof, toSpeedscope, renderHtmlReport, type CallTree } from '../index.js';
import { profileBySampling } from '../host/profiling/sampling-profiler.js';
import { startProgress } from './progress.js';
import { analyze, callOverheadNs, loadInstrumentEngine, hookOverhead, type ProfiledModule, type Severity } from '../index.js';
import { printAnalysis, saveProfile } from './analyze-command.js';
import { allocCommand } from './alloc-command.js';
import { parseSetup, runSetup } from './setup-call.js';
import type { SandboxLink } from './link-options.js';

export interface ProfileCommandOptions {
  readonly mode: string;
  readonly repeat: number;
  readonly flamegraph?: string;
  readonly speedscope?: string;
  readonly cpuprofile?: string;
  readonly pprof?: string;
  readonly folded?: string;
  readonly focus?: string;
  readonly exclude?: string;
  readonly icicle: boolean;
  readonly json: boolean;
  /** No progress bar even on a terminal. */
  readonly quiet?: boolean;
  /** Write the HTML report here. */
  readonly report?: string;
  /** Analyse the run and print its findings after the top functions. */
  readonly findings?: boolean;
  /** Write the run as a saved profile (schema-versioned JSON) for `analyze` and `compare`. */
  readonly save?: string;
  readonly failOn?: Severity;
  /** Limits the profiled calls run under (recorded in the saved profile; limit-approached reads them). */
  readonly fuel?: number;
  readonly timeoutMs?: number;
  /** --mode alloc: what the flamegraph and folded stacks weigh (liveAtPeak, allocated, blocks, liveAtEnd). */
  readonly weight?: string;
  /** `export args…` called once before the profiled calls, in the same sandbox (`--setup`). */
  readonly setup?: string;
  /** What the guest is granted (`--imports`, `--trap-unknown-imports`). */
  readonly link?: SandboxLink;
}

function regex(text: string | undefined, flag: string): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new WasmArgumentError(`${flag} ${JSON.stringify(text)} is not a valid regular expression: ${(error as Error).message}`);
  }
}

export async function profileCommand(
  host: WasmHost,
  file: string,
  exportName: string,
  args: readonly string[],
  options: ProfileCommandOptions,
  out: (text: string) => void,
  err: (text: string) => void = out,
): Promise<{ tree: CallTree; exitCode: number }> {
  const { mode } = options;
  if (mode !== 'instrumented' && mode !== 'instructions' && mode !== 'sampling' && mode !== 'alloc') {
    throw new WasmArgumentError(`--mode must be instrumented, instructions, sampling, alloc or cache, got ${JSON.stringify(mode)}`);
  }
  if (!Number.isInteger(options.repeat) || options.repeat < 1) throw new WasmArgumentError(`--repeat must be a positive integer, got ${options.repeat}`);
  const focus = regex(options.focus, '--focus');
  const exclude = regex(options.exclude, '--exclude');

  const limited = options.fuel !== undefined || options.timeoutMs !== undefined;
  const limits = { ...(options.fuel === undefined ? {} : { fuel: options.fuel }), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
  const instrument =
    mode === 'sampling' || mode === 'alloc'
      ? limited ? { fuel: options.fuel !== undefined, deadline: options.timeoutMs !== undefined } : undefined
      : { hooks: true, fuel: mode === 'instructions' || options.fuel !== undefined, ...(options.timeoutMs === undefined ? {} : { deadline: true }) };
  const module = await host.load(file, instrument === undefined ? {} : { instrument });
  const entry = module.inspect().exports.find((e) => e.name === exportName);
  const params = entry?.signature?.params ?? [];
  if (entry?.signature !== undefined && args.length !== params.length) {
    throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
  }
  const values = entry?.signature === undefined ? [...args] : args.map((text, i) => parseArgument(params[i]!, text));
  if (mode === 'alloc') {
    return allocCommand(host, file, exportName, values, args, {
      repeat: options.repeat, icicle: options.icicle, json: options.json,
      ...(options.weight === undefined ? {} : { weight: options.weight }),
      ...(options.flamegraph === undefined ? {} : { flamegraph: options.flamegraph }),
      ...(options.pprof === undefined ? {} : { pprof: options.pprof }),
      ...(options.folded === undefined ? {} : { folded: options.folded }),
      ...(options.setup === undefined ? {} : { setup: options.setup }),
      ...(options.findings === undefined ? {} : { findings: options.findings }),
      ...(options.save === undefined ? {} : { save: options.save }),
      ...(options.failOn === undefined ? {} : { failOn: options.failOn }),
      ...(options.link === undefined ? {} : { link: options.link }),
    }, out, err);
  }

  let tree: CallTree;
  const setup = parseSetup(module, options.setup);
  // One call is not a long run; many are, and show how far they got on a terminal.
  const progress = startProgress(`profile ${exportName}`, options.repeat > 1 ? options.repeat : 0, { quiet: options.quiet === true, unit: 'calls' });
  try {
    if (mode === 'sampling') {
      const sandbox = module.instantiate({ ...options.link, ...limits });
      runSetup(sandbox, setup); // outside the sampled run
      tree = await profileBySampling(sandbox, () => {
        for (let i = 0; i < options.repeat; i++) {
          sandbox.call(exportName, ...values);
          progress.tick();
        }
      });
    } else {
      const profiler = new GuestProfiler(module, mode);
      const sandbox = profiler.instantiate({ ...options.link, ...limits });
      runSetup(sandbox, setup);
      for (let i = 0; i < options.repeat; i++) {
        sandbox.call(exportName, ...values);
        progress.tick();
      }
      tree = profiler.tree();
    }
  } finally {
    progress.stop();
  }
  const shown = focus !== undefined || exclude !== undefined ? filterTree(tree, { ...(focus ? { focus } : {}), ...(exclude ? { exclude } : {}) }) : tree;

  const title = `${module.label} ${exportName}(${args.join(', ')}) × ${options.repeat} — ${mode}`;
  if (options.flamegraph) writeFileSync(options.flamegraph, renderFlamegraph(shown, { title, icicle: options.icicle }));
  if (options.speedscope) writeFileSync(options.speedscope, JSON.stringify(toSpeedscope(shown, title)));
  if (options.cpuprofile) writeFileSync(options.cpuprofile, JSON.stringify(toCpuProfile(shown)));
  if (options.pprof) writeFileSync(options.pprof, toPprof(shown));
  if (options.folded) writeFileSync(options.folded, options.folded.endsWith('.gz') ? gzipSync(toFolded(shown)) : toFolded(shown));

  const wantsAnalysis = options.findings === true || options.failOn !== undefined;
  // The HTML report opens with the run's findings, so --report analyses the run too.
  const needsMeasured = wantsAnalysis || options.save !== undefined || options.report !== undefined;
  if (mode === 'instrumented' && needsMeasured) await loadInstrumentEngine(); // the hook calibration rewrites synchronously
  const measured: ProfiledModule | undefined = needsMeasured
    ? {
        profile: module.profile(),
        tree,
        ...(mode === 'instrumented' ? { hookOverhead: hookOverhead() } : {}),
        callOverheadNs: callOverheadNs(),
        ...(limited ? { limits } : {}),
      }
    : undefined;
  if (options.save !== undefined) saveProfile(options.save, [measured!], { file, export: exportName, args: [...args], mode, repeat: options.repeat });
  const analysis = wantsAnalysis || options.report !== undefined ? analyze({ modules: [measured!] }) : undefined;
  const report = wantsAnalysis ? analysis : undefined;
  if (options.report !== undefined) {
    const run = { name: module.label, modules: [{ profile: measured!.profile, tree: shown }], analysis: analysis! };
    writeFileSync(options.report, renderHtmlReport({ title, runs: [run], generatedAt: new Date().toISOString() }));
  }

  if (options.json) {
    // With the module profile, this output is also a saved profile `wasm-sandbox report` reads.
    out(JSON.stringify({ tree: shown, functions: functionStats(shown), profile: measured?.profile ?? module.profile(), ...(report === undefined ? {} : { analysis: report }) }, null, 2));
  } else {
    out(formatTopFunctions({ mode: shown.mode, unit: shown.unit, total: shown.root.total, top: functionStats(shown) }, 20));
    for (const note of shown.notes) out(`note: ${note}`);
    const written = [options.flamegraph, options.speedscope, options.cpuprofile, options.pprof, options.folded, options.report].filter(Boolean);
    if (options.save !== undefined) written.push(options.save);
    if (written.length > 0) out(`wrote ${written.join(', ')}`);
  }
  let exitCode = 0;
  if (report !== undefined) {
    if (!options.json) out('');
    // With --json the report is already in the document printed above.
    exitCode = printAnalysis(report, { json: false, failOn: options.failOn }, options.json ? () => {} : out, err);
  }
  return { tree: shown, exitCode };
}
