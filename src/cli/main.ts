#!/usr/bin/env node
/**
 * The command line: argument parsing and printing only; every command is a call into the library.
 * A failing command prints `code: message` on one line and exits 1 (stack with --verbose).
 */
import { parseArgs } from 'node:util';
import { WasmHost, WasmArgumentError, parseArgument, formatProfile, type ModuleInfo } from '../index.js';
import { formatBytes, formatNs, renderTable, terminalSafe } from '../profiler/render/terminal-text.js';
import { MAX_ERROR_MESSAGE } from '../untrusted-text.js';
import { runDemo } from './demo.js';
import { profileCommand } from './profile-command.js';
import { loadCommand } from './load-command.js';
import { poolLink, sandboxLink, type LinkFlags } from './link-options.js';
import { mergeCommand } from './merge-command.js';
import { reportCommand } from './report-command.js';
import { analyzeSaved, FINDINGS_EXIT_CODE, parseFailOn, printAnalysis, readSavedProfiles } from './analyze-command.js';
import { failsAt } from '../profiler/analyze/analyze.js';
import { compareCommand, COMPARE_USAGE } from './compare-command.js';
import { cacheCommand } from './cache-command.js';
import { TUNE_COMMAND_DEFAULTS, tuneCommand } from './tune-command.js';
import { scaleCommand } from './scale-command.js';

const USAGE = `usage: wasm-sandbox <command> [options]

commands:
  inspect <file>                  imports, exports with signatures, memory/table limits, name section
  run <file> <export> [args…]     call an export; arguments parsed by its parameter types
                                  (i32, f32, f64 as numbers; i64 as integers, BigInt-exact)
  profile <file> <export> [args…] profile the export's guest code; prints the top functions
    --mode instrumented|instructions|sampling|alloc|cache   (default instrumented)
    --mode alloc: allocation sites, leaks, peak, temporaries
      --weight liveAtPeak|allocated|blocks|liveAtEnd   alloc flamegraph/folded weights (default liveAtPeak)
    --mode cache: simulated D1/LL misses per function (cachegrind's columns)
      --D1=size,assoc,line  --LL=size,assoc,line  cache geometry (default: this machine's)
      --cachegrind out.file                       write cachegrind's format (cg_annotate)
    --repeat N                    call the export N times (default 1; alloc: per-call leak check)
    --setup 'init 512'            call this export (with its arguments) first, in the same sandbox
    --flamegraph out.svg  --speedscope out.json  --cpuprofile out.cpuprofile
    --pprof out.pb.gz  --folded out.txt         export the profile
    --focus REGEX  --exclude REGEX              keep only / drop frames by name
    --icicle                      top-down flamegraph
    --report out.html             write the HTML report of this profile
    --findings                    analyse the run: bottlenecks, their cost, what to change
    --save run.json               write the run as a saved profile (for analyze, compare)
  analyze <profile.json…>         findings of saved profiles (profile --save, run --json's profile)
    --fail-on high|medium|low     exit 2 when a finding is at or above this severity (CI)
${COMPARE_USAGE}
  report <profile.json | bench.json …> -o report.html
                                  one self-contained HTML report from saved profiles (profile/run/demo
                                  --json, pool profiles, analyses, bench/results/*.json); two runs of
                                  the same module or bench are compared (before, after)
  load <file> <export> [args…]    drive the export through a worker pool for a while
    --threads N  --concurrency C  --duration S   (defaults 2, 4, 10)
    --metrics host:port           serve the pool's Prometheus metrics while it runs (port 0: any)
  merge <profile.json…> -o out    merge saved module profiles (from many processes or machines)
  tune <file> <export> [args…]    run the export through a pool and search its settings; prints
                                  the recommendation and every trial with its evidence
    --concurrency N               callers, each making its next call when the last settles (default ${TUNE_COMMAND_DEFAULTS.concurrency})
    --duration S                  seconds to run (default ${TUNE_COMMAND_DEFAULTS.durationS})
    --objective throughput|cpu    maximise throughput, or minimise CPU per call (default throughput)
    --p99 MS                      latency bound both objectives keep (default ${TUNE_COMMAND_DEFAULTS.p99Ms})
    --max-threads N               most threads tried (default twice the cores)
  scale <file> <export>           how the cost grows with the input: fits O(1) … O(N³) to exact
                                  instruction counts, per function and for the whole call
    --sizes 1000,10000,100000     the input sizes (at least three)
    --arg-template '{n},7'        the export's arguments, {n} standing for the size (default {n})
  demo                            run the bundled guests and print their profiles and findings

options:
  --memory-limit <pages>          memory limit in 64 KiB pages (default 4096)
  --fuel <instructions>           run, profile: stop a call after this many wasm instructions (rewrites the guest)
  --timeout <ms>                  run, profile: stop a call (and the start function) after this long (rewrites the guest)
  --imports <file.mjs>            run, profile, load, tune: grant what the ES module's default export holds
                                  ({ module: { name: value } }, or a function of the module id returning it)
  --trap-unknown-imports          run, profile, load, tune: link each function import not granted to a stand-in
                                  that fails the call with ERR_IMPORT_NOT_GRANTED if the guest reaches it
  --json                          print machine-readable JSON instead of tables
  --quiet                         no progress bar (it is shown only when stderr is a terminal)
  --verbose                       print stack traces of failures
  -h, --help                      this text`;

interface Flags {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly memoryLimit: number | undefined;
  readonly fuel: number | undefined;
  readonly timeoutMs: number | undefined;
}

function printInspect(file: string, info: ModuleInfo): string {
  const lines = [`module ${terminalSafe(file)}${info.moduleName ? ` (name section: ${terminalSafe(info.moduleName)})` : ''}`];
  lines.push(`functions: ${info.functionCount}  name section: ${info.hasNameSection ? 'yes' : 'no'}  AssemblyScript runtime exported: ${info.assemblyScriptRuntime ? 'yes' : 'no'}` +
    (info.startFunction ? `  start: ${terminalSafe(info.startFunction)}` : ''));
  for (const [i, m] of info.memories.entries()) {
    lines.push(`memory ${i}: ${m.min}..${m.max ?? '∞'} pages${m.imported ? ' (imported)' : ''}${m.shared ? ' shared' : ''}`);
  }
  for (const [i, t] of info.tables.entries()) {
    lines.push(`table ${i}: ${t.element} ${t.min}..${t.max ?? '∞'}${t.imported ? ' (imported)' : ''}`);
  }
  lines.push('', info.imports.length === 0 ? 'imports: none' : renderTable(['import', 'kind', 'type'], info.imports.map((i) => [`${i.module}.${i.name}`, i.kind, i.type])));
  lines.push('', info.exports.length === 0 ? 'exports: none' : renderTable(['export', 'kind', 'type'], info.exports.map((e) => [e.name, e.kind, e.type])));
  if (info.customSections.length > 0) lines.push('', `custom sections: ${info.customSections.map((n) => terminalSafe(n)).join(', ')}`);
  return lines.join('\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

const VALUE_OPTIONS = new Set([
  '--memory-limit', '--fuel', '--timeout', '--mode', '--repeat', '--flamegraph', '--speedscope',
  '--cpuprofile', '--pprof', '--folded', '--focus', '--exclude', '--save', '--fail-on', '--report', '--output', '-o',
  '--rounds', '--threshold', '--alpha', '--seed',
  '--threads', '--concurrency', '--duration', '--metrics',
  '--D1', '--LL', '--cachegrind',
  '--weight',
  '--objective', '--p99', '--max-threads',
  '--sizes', '--arg-template', '--setup', '--imports',
]);
const NEGATIVE_NUMBER = /^-(\d|\.\d|inf|nan)/i;

/** Moves positionals behind `--` so that negative numbers (`-2.25`) are arguments, not options. */
function separatePositionals(argv: readonly string[]): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token.startsWith('-') && !NEGATIVE_NUMBER.test(token)) {
      // `--fuel -5` as `--fuel=-5`, so that parseArgs takes a negative value as a value
      if (VALUE_OPTIONS.has(token) && i + 1 < argv.length) {
        const value = argv[++i]!;
        // A short option takes its value as the next token (`-o=x` would mean the value `=x`).
        options.push(...(token.startsWith('--') ? [`${token}=${value}`] : [token, value]));
      } else options.push(token);
    } else {
      positionals.push(token);
    }
  }
  return [...options, '--', ...positionals];
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: separatePositionals(argv),
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'memory-limit': { type: 'string' },
      fuel: { type: 'string' },
      timeout: { type: 'string' },
      mode: { type: 'string' },
      repeat: { type: 'string' },
      flamegraph: { type: 'string' },
      speedscope: { type: 'string' },
      cpuprofile: { type: 'string' },
      pprof: { type: 'string' },
      folded: { type: 'string' },
      focus: { type: 'string' },
      exclude: { type: 'string' },
      weight: { type: 'string' },
      setup: { type: 'string' },
      icicle: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      threads: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      metrics: { type: 'string' },
      report: { type: 'string' },
      output: { type: 'string', short: 'o' },
      findings: { type: 'boolean', default: false },
      save: { type: 'string' },
      'fail-on': { type: 'string' },
      rounds: { type: 'string' },
      threshold: { type: 'string' },
      alpha: { type: 'string' },
      seed: { type: 'string' },
      'fail-on-regression': { type: 'boolean', default: false },
      D1: { type: 'string' },
      LL: { type: 'string' },
      cachegrind: { type: 'string' },
      objective: { type: 'string' },
      p99: { type: 'string' },
      'max-threads': { type: 'string' },
      sizes: { type: 'string' },
      'arg-template': { type: 'string' },
      imports: { type: 'string' },
      'trap-unknown-imports': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const flags: Flags = {
    json: values.json === true,
    verbose: values.verbose === true,
    memoryLimit: values['memory-limit'] === undefined ? undefined : Number(values['memory-limit']),
    fuel: values.fuel === undefined ? undefined : Number(values.fuel),
    timeoutMs: values.timeout === undefined ? undefined : Number(values.timeout),
  };
  const [command, ...rest] = positionals;
  const failOn = parseFailOn(values['fail-on']);
  if (values.help === true || command === undefined) {
    process.stdout.write(USAGE + '\n');
    return command === undefined && values.help !== true ? 1 : 0;
  }
  const host = new WasmHost(flags.memoryLimit === undefined ? {} : { memoryLimitPages: flags.memoryLimit });
  const linkFlags: LinkFlags = { ...(values.imports === undefined ? {} : { importsModule: values.imports }), trapUnknownImports: values['trap-unknown-imports'] === true };

  switch (command) {
    case 'inspect': {
      const [file] = rest;
      if (file === undefined || rest.length > 1) throw new WasmArgumentError('inspect takes one argument: the .wasm file');
      const info = (await host.load(file)).inspect();
      process.stdout.write((flags.json ? JSON.stringify(info, null, 2) : printInspect(file, info)) + '\n');
      return 0;
    }
    case 'run': {
      const [file, exportName, ...args] = rest;
      if (file === undefined || exportName === undefined) throw new WasmArgumentError('run takes a .wasm file, an export name, and the export\'s arguments');
      const limited = flags.fuel !== undefined || flags.timeoutMs !== undefined;
      const module = await host.load(file, limited ? { instrument: { fuel: flags.fuel !== undefined, deadline: true } } : {});
      const sandbox = module.instantiate({
        ...(await sandboxLink(linkFlags, file)),
        ...(flags.fuel === undefined ? {} : { fuel: flags.fuel }),
        ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
      });
      const entry = module.inspect().exports.find((e) => e.name === exportName);
      const params = entry?.signature?.params ?? [];
      if (entry?.signature !== undefined && args.length !== params.length) {
        throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
      }
      const parsed = entry?.signature === undefined ? args : args.map((text, i) => parseArgument(params[i]!, text));
      const report = sandbox.callWithMetrics(exportName, ...parsed);
      if (report.error !== undefined) throw report.error;
      const m = report.metrics;
      if (flags.json) {
        process.stdout.write(JSON.stringify({ result: report.value, metrics: m, profile: module.profile() }, jsonReplacer, 2) + '\n');
      } else {
        process.stdout.write(`result: ${String(report.value)}\n`);
        process.stdout.write(
          `latency: ${formatNs(m.latencyNs)}  memory: ${formatBytes(m.memoryBytesBefore)} → ${formatBytes(m.memoryBytesAfter)}${m.memoryGrew ? ' (grew)' : ''}` +
            `${m.instructions === undefined ? '' : `  instructions: ${m.instructions}`}\n\n`,
        );
        process.stdout.write(formatProfile(module.profile()) + '\n');
      }
      return 0;
    }
    case 'profile': {
      const [file, exportName, ...args] = rest;
      if (file === undefined || exportName === undefined) throw new WasmArgumentError("profile takes a .wasm file, an export name, and the export's arguments");
      if (values.mode === 'cache') {
        const cache = {
          repeat: values.repeat === undefined ? 1 : Number(values.repeat),
          json: flags.json,
          ...(values.D1 === undefined ? {} : { d1: values.D1 }),
          ...(values.LL === undefined ? {} : { ll: values.LL }),
          ...(values.cachegrind === undefined ? {} : { cachegrind: values.cachegrind }),
          link: await sandboxLink(linkFlags, file),
          findings: values.findings === true,
          ...(values.setup === undefined ? {} : { setup: values.setup }),
          ...(values.save === undefined ? {} : { save: values.save }),
          ...(failOn === undefined ? {} : { failOn }),
        };
        const { exitCode } = await cacheCommand(host, file, exportName, args, cache, (text) => process.stdout.write(text + '\n'), (text) => process.stderr.write(text + '\n'));
        return exitCode;
      }
      const { exitCode } = await profileCommand(
        host,
        file,
        exportName,
        args,
        {
          mode: values.mode ?? 'instrumented',
          repeat: values.repeat === undefined ? 1 : Number(values.repeat),
          ...(values.flamegraph === undefined ? {} : { flamegraph: values.flamegraph }),
          ...(values.speedscope === undefined ? {} : { speedscope: values.speedscope }),
          ...(values.cpuprofile === undefined ? {} : { cpuprofile: values.cpuprofile }),
          ...(values.pprof === undefined ? {} : { pprof: values.pprof }),
          ...(values.folded === undefined ? {} : { folded: values.folded }),
          ...(values.focus === undefined ? {} : { focus: values.focus }),
          ...(values.exclude === undefined ? {} : { exclude: values.exclude }),
          ...(values.report === undefined ? {} : { report: values.report }),
          ...(values.weight === undefined ? {} : { weight: values.weight }),
          ...(values.setup === undefined ? {} : { setup: values.setup }),
          icicle: values.icicle === true,
          json: flags.json,
          quiet: values.quiet === true,
          link: await sandboxLink(linkFlags, file),
          findings: values.findings === true,
          ...(flags.fuel === undefined ? {} : { fuel: flags.fuel }),
          ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
          ...(values.save === undefined ? {} : { save: values.save }),
          ...(failOn === undefined ? {} : { failOn }),
        },
        (text) => process.stdout.write(text + '\n'),
        (text) => process.stderr.write(text + '\n'),
      );
      return exitCode;
    }
    case 'analyze': {
      if (rest.length === 0) throw new WasmArgumentError('analyze takes one or more saved profiles (profile … --save run.json)');
      const report = analyzeSaved(readSavedProfiles(rest));
      return printAnalysis(report, { json: flags.json, failOn }, (text) => process.stdout.write(text + '\n'), (text) => process.stderr.write(text + '\n'));
    }
    case 'report': {
      reportCommand(rest, values.output ?? 'report.html', (text) => process.stdout.write(text + '\n'), values.quiet === true);
      return 0;
    }
    case 'compare': {
      const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
      if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) throw new WasmArgumentError(`--rounds must be a positive integer, got ${JSON.stringify(values.rounds)}`);
      return compareCommand(rest, {
        ...(rounds === undefined ? {} : { rounds }),
        ...(values.threshold === undefined ? {} : { threshold: values.threshold }),
        ...(values.alpha === undefined ? {} : { alpha: values.alpha }),
        ...(values.seed === undefined ? {} : { seed: values.seed }),
        ...(values.flamegraph === undefined ? {} : { flamegraph: values.flamegraph }),
        ...(flags.memoryLimit === undefined ? {} : { memoryLimitPages: flags.memoryLimit }),
        ...(flags.fuel === undefined ? {} : { fuel: flags.fuel }),
        ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
        failOnRegression: values['fail-on-regression'] === true,
        json: flags.json,
        quiet: values.quiet === true,
      }, (text) => process.stdout.write(text + '\n'));
    }
    case 'scale': {
      const [file, exportName, ...extra] = rest;
      if (file === undefined || exportName === undefined || extra.length > 0) throw new WasmArgumentError('scale takes a .wasm file and an export name; arguments come from --arg-template');
      await scaleCommand(host, file, exportName, { sizes: values.sizes, argTemplate: values['arg-template'], json: flags.json }, (text) => process.stdout.write(text + '\n'));
      return 0;
    }
    case 'demo': {
      const { modules, report } = await runDemo();
      if (flags.json) process.stdout.write(JSON.stringify(modules.map((m) => m.profile()), null, 2) + '\n');
      return failOn !== undefined && failsAt(report, failOn) ? FINDINGS_EXIT_CODE : 0;
    }
    case 'load': {
      const [file, exportName, ...args] = rest;
      if (file === undefined || exportName === undefined) throw new WasmArgumentError("load takes a .wasm file, an export name, and the export's arguments");
      await loadCommand(
        host,
        file,
        exportName,
        args,
        {
          threads: values.threads === undefined ? 2 : Number(values.threads),
          concurrency: values.concurrency === undefined ? 4 : Number(values.concurrency),
          durationS: values.duration === undefined ? 10 : Number(values.duration),
          ...(values.metrics === undefined ? {} : { metrics: values.metrics }),
          link: poolLink(linkFlags),
          json: flags.json,
          quiet: values.quiet === true,
        },
        (text) => process.stdout.write(text + '\n'),
      );
      return 0;
    }
    case 'merge': {
      mergeCommand(rest, values.output, (text) => process.stdout.write(text + '\n'));
      return 0;
    }
    case 'tune': {
      const [file, exportName, ...args] = rest;
      if (file === undefined || exportName === undefined) throw new WasmArgumentError("tune takes a .wasm file, an export name, and the export's arguments");
      await tuneCommand(host, file, exportName, args, {
        concurrency: values.concurrency === undefined ? TUNE_COMMAND_DEFAULTS.concurrency : Number(values.concurrency),
        durationS: values.duration === undefined ? TUNE_COMMAND_DEFAULTS.durationS : Number(values.duration),
        objective: values.objective ?? 'throughput',
        p99Ms: values.p99 === undefined ? TUNE_COMMAND_DEFAULTS.p99Ms : Number(values.p99),
        ...(values['max-threads'] === undefined ? {} : { maxThreads: Number(values['max-threads']) }),
        link: poolLink(linkFlags),
        json: flags.json,
      }, (text) => process.stdout.write(text + '\n'));
      return 0;
    }
    default:
      throw new WasmArgumentError(`unknown command ${JSON.stringify(command)}; run wasm-sandbox --help`);
  }
}

function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'ERR_UNEXPECTED';
  const message = typeof e.message === 'string' ? e.message : String(error);
  // One line, whatever the message quotes: escaped, and bounded (a 1 MiB export name stays a short line).
  return `${terminalSafe(code)}: ${terminalSafe(message.replace(/\s*\n\s*/g, ' '), MAX_ERROR_MESSAGE)}`;
}

// A closed pipe (`wasm-sandbox demo | head`) is not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const verbose = process.argv.includes('--verbose');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(describeFailure(error) + '\n');
    if (verbose && error instanceof Error) {
      const guestStack = (error as { guestStack?: readonly { name: string; offset?: number }[] }).guestStack;
      if (guestStack !== undefined && guestStack.length > 0) {
        const frames = guestStack.map((f) => `    at ${terminalSafe(f.name)}${f.offset === undefined ? '' : ` (+0x${f.offset.toString(16)})`}`);
        process.stderr.write(`guest stack:\n${frames.join('\n')}\n`);
      }
      if (error.stack) process.stderr.write(error.stack.split('\n').map((line) => terminalSafe(line, MAX_ERROR_MESSAGE)).join('\n') + '\n');
    }
    process.exitCode = 1;
  },
);
