import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestPath } from './helpers/guests.js';
import { nestedBlocks } from './helpers/modules.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('wasm-sandbox CLI', () => {
  it('inspect prints imports, exports with signatures and memory limits', () => {
    const { code, stdout } = run('inspect', guestPath('imports'));
    expect(code).toBe(0);
    expect(stdout).toContain('memory 0: 1..4 pages (imported)');
    expect(stdout).toMatch(/host\.log\s+function\s+\(i32\) -> nil/);
    expect(stdout).toMatch(/logScaled\s+function\s+\(i32\) -> i32/);
    expect(stdout).toContain('name section: no');
  });

  it('--imports grants what an ES module exports, --trap-unknown-imports stands in for the rest (run, profile, load, tune)', () => {
    const partial = fileURLToPath(new URL('./fixtures/partial-imports.mjs', import.meta.url));
    const refused = run('run', guestPath('imports'), 'readByte', '0', '--imports', partial);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_WASM_IMPORT: imports\.wasm imports host\.log \(function \(i32\) -> nil\), which was not granted/);
    // The imports module's function gets the module id: byte 0 is its first letter, 'i'.
    const read = run('run', guestPath('imports'), 'readByte', '0', '--imports', partial, '--trap-unknown-imports');
    expect(read.code).toBe(0);
    expect(read.stdout).toContain('result: 105');
    const reached = run('run', guestPath('imports'), 'logScaled', '2', '--imports', partial, '--trap-unknown-imports');
    expect(reached.code).toBe(1);
    expect(reached.stderr).toMatch(/^ERR_IMPORT_NOT_GRANTED: imports\.wasm: logScaled\(\) called host\.log \(function \(i32\) -> nil\), which was not granted/);
    // Other kinds have no stand-in: without --imports the memory is still missing.
    expect(run('run', guestPath('imports'), 'readByte', '0', '--trap-unknown-imports').stderr).toMatch(/ERR_WASM_IMPORT: .*host\.memory/);
    for (const mode of ['instructions', 'sampling', 'alloc', 'cache']) {
      const profiled = run('profile', guestPath('imports'), 'readByte', '0', '--mode', mode, '--imports', partial, '--trap-unknown-imports', '--json');
      expect({ mode, code: profiled.code, stderr: profiled.stderr }).toEqual({ mode, code: 0, stderr: '' });
    }
    const loaded = run('load', guestPath('imports'), 'readByte', '0', '--imports', partial, '--trap-unknown-imports', '--duration', '0.3', '--threads', '1', '--json', '--quiet');
    expect(loaded.code).toBe(0);
    const load = JSON.parse(loaded.stdout) as { callsPerSecond: number; failures: number };
    expect(load.failures).toBe(0);
    expect(load.callsPerSecond).toBeGreaterThan(0);
    const tuned = run('tune', guestPath('imports'), 'readByte', '0', '--imports', partial, '--trap-unknown-imports', '--duration', '1', '--concurrency', '2');
    expect(tuned.code).toBe(0);
    expect(tuned.stdout).toMatch(/^\d+ calls \(0 failed\)/);
    const bad = run('run', guestPath('imports'), 'readByte', '0', '--imports', join(tmpdir(), 'no-such-imports.mjs'));
    expect(bad.stderr).toMatch(/^ERR_INVALID_OPTION: --imports .*no-such-imports\.mjs failed to load/);
  });

  it('inspect --json is machine-readable', () => {
    const { code, stdout } = run('inspect', guestPath('add'), '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as { exports: { name: string; signature?: { params: string[] } }[] };
    expect(info.exports.find((e) => e.name === 'sum4')?.signature?.params).toEqual(['i32', 'i32', 'i32', 'i32']);
  });

  it('run parses arguments by parameter type, i64 exactly, and prints result and metrics', () => {
    const i64 = run('run', guestPath('add'), 'addI64', '9007199254740993', '1');
    expect(i64.code).toBe(0);
    expect(i64.stdout).toContain('result: 9007199254740994');
    expect(i64.stdout).toMatch(/latency: [\d.]+ (ns|µs|ms)/);
    expect(i64.stdout).toMatch(/addI64\s+1\s+0/);
    const f64 = run('run', guestPath('add'), 'addF64', '0.5', '-2.25');
    expect(f64.stdout).toContain('result: -1.75');
    const f32 = run('run', guestPath('add'), 'addF32', '0.1', '0.2');
    expect(f32.stdout).toContain(`result: ${Math.fround(Math.fround(0.1) + Math.fround(0.2))}`);
  });

  it('a module too deep to rewrite is a typed line, not ERR_UNEXPECTED; it still runs plain', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wasm-sandbox-cli-')), 'deep.wasm');
    writeFileSync(path, nestedBlocks(100_000));
    const fuel = run('run', path, 'f', '--fuel', '1000');
    expect(fuel.code).toBe(1);
    expect(fuel.stderr).toMatch(/^ERR_WASM_INSTRUMENTATION: deep\.wasm: cannot be instrumented: the module nests deeper than the engine can follow/);
    expect(fuel.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run('run', path, 'f').stdout).toContain('result: 7');
  });

  it('run --json prints the result, the call metrics and the profile', () => {
    const { code, stdout } = run('run', guestPath('fib'), 'fib', '10', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { result: number; metrics: { outcome: string }; profile: { exports: { calls: number }[] } };
    expect(out.result).toBe(55);
    expect(out.metrics.outcome).toBe('ok');
    expect(out.profile.exports[0]!.calls).toBe(1);
  });

  const failures: { args: string[]; line: RegExp }[] = [
    { args: ['run', guestPath('trap'), 'divide', '1', '0'], line: /^ERR_WASM_TRAP: trap\.wasm: divide\(\) trapped: integer division by zero/ },
    { args: ['run', guestPath('add'), 'addI64', '1.5', '1'], line: /^ERR_WASM_ARGUMENT: cannot read "1\.5" as i64/ },
    { args: ['run', guestPath('add'), 'add', '1'], line: /^ERR_WASM_ARGUMENT: add takes 2 argument\(s\) \(i32, i32\), got 1$/ },
    { args: ['run', guestPath('add'), 'nope'], line: /^ERR_WASM_EXPORT_NOT_FOUND: add\.wasm has no export named "nope"/ },
    { args: ['inspect', '/definitely/not/here.wasm'], line: /^ERR_WASM_SOURCE: cannot read module \/definitely\/not\/here\.wasm: no such file/ },
    { args: ['inspect', guestPath('imports').replace('imports.wasm', '')], line: /^ERR_WASM_SOURCE: .*it is a directory/ },
    { args: ['run', guestPath('abort'), 'checkPositive', '0'], line: /^ERR_GUEST_ABORT: abort\.wasm: checkPositive\(\): guest aborted: expected a positive number, got 0/ },
    { args: ['frobnicate'], line: /^ERR_WASM_ARGUMENT: unknown command "frobnicate"/ },
  ];
  for (const f of failures) {
    it(`${f.args[0]} ${f.args.slice(2).join(' ')} fails with one line: code: message`, () => {
      const { code, stdout, stderr } = run(...f.args);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(f.line);
    });
  }

  it('run --fuel and --timeout stop runaway guests and report instructions', () => {
    const ok = run('run', guestPath('fib'), 'fib', '10', '--fuel', '100000');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/instructions: 1589/);
    const fuel = run('run', guestPath('spin'), 'spinForever', '--fuel', '1000000');
    expect(fuel.code).toBe(1);
    expect(fuel.stderr).toMatch(/^ERR_OUT_OF_FUEL: spin\.wasm: spinForever\(\): guest ran out of fuel after \d+ instructions \(limit 1000000\)/);
    const timeout = run('run', guestPath('spin'), 'spinForever', '--timeout', '100');
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(/^ERR_DEADLINE_EXCEEDED: spin\.wasm: spinForever\(\): guest exceeded its deadline of 100 ms/);
    const bad = run('run', guestPath('spin'), 'spin', '1', '--fuel', '-5');
    expect(bad.stderr).toMatch(/^ERR_INVALID_OPTION: options\.fuel must be a positive finite number, got -5/);
  });

  it('profile prints the top functions and writes every export format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-cli-profile-'));
    const files = {
      flamegraph: join(dir, 'out.svg'),
      speedscope: join(dir, 'out.speedscope.json'),
      cpuprofile: join(dir, 'out.cpuprofile'),
      pprof: join(dir, 'out.pb.gz'),
      folded: join(dir, 'out.folded'),
    };
    const { code, stdout } = run(
      'profile', guestPath('profile'), 'outer', '20000', '--mode', 'instructions', '--repeat', '3',
      ...Object.entries(files).flatMap(([flag, path]) => [`--${flag}`, path]),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/top functions \(instructions, by self instructions\)/);
    expect(stdout).toMatch(/assembly\/profile\/kernel\s+[\d,]+ instr\s+100\.0%/);
    expect(stdout).toMatch(/assembly\/profile\/slow\s+[\d,]+ instr\s+0\.0%\s+[\d,]+ instr\s+80\.0%/);
    expect(readFileSync(files.flamegraph, 'utf8')).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*assembly\/profile\/slow[\s\S]*<\/svg>\n$/);
    const folded = readFileSync(files.folded, 'utf8');
    const total = folded.trim().split('\n').reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const speedscope = JSON.parse(readFileSync(files.speedscope, 'utf8')) as { profiles: { endValue: number }[] };
    expect(speedscope.profiles[0]!.endValue).toBe(total);
    const cpuprofile = JSON.parse(readFileSync(files.cpuprofile, 'utf8')) as { endTime: number };
    expect(cpuprofile.endTime).toBe(total);
    expect(readFileSync(files.pprof).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('profile --focus and --exclude keep or drop frames', () => {
    const focused = run('profile', guestPath('profile'), 'outer', '20000', '--mode', 'instructions', '--focus', '^assembly/profile/fast$', '--json');
    const tree = (JSON.parse(focused.stdout) as { tree: { root: { children: { name: string }[] } } }).tree;
    expect(tree.root.children.map((c) => c.name)).toEqual(['assembly/profile/fast']);
    const excluded = run('profile', guestPath('profile'), 'outer', '20000', '--mode', 'instructions', '--exclude', 'kernel');
    expect(excluded.stdout).not.toContain('kernel');
    const bad = run('profile', guestPath('profile'), 'outer', '1', '--focus', '(');
    expect(bad.stderr).toMatch(/^ERR_WASM_ARGUMENT: --focus "\(" is not a valid regular expression/);
    const mode = run('profile', guestPath('profile'), 'outer', '1', '--mode', 'guess');
    expect(mode.stderr).toMatch(/^ERR_WASM_ARGUMENT: --mode must be instrumented, instructions, sampling, alloc or cache/);
  });

  it('prints a stack trace only with --verbose', () => {
    const { code, stderr } = run('run', guestPath('trap'), 'divide', '1', '0', '--verbose');
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^ERR_WASM_TRAP: /);
    expect(stderr).toMatch(/\n\s+at /);
    expect(stderr).toContain('guest stack:');
  });

  it('demo runs every bundled guest and prints per-module profiles', () => {
    const { code, stdout } = run('demo');
    expect(code).toBe(0);
    for (const guest of ['add', 'fib', 'sum', 'strings', 'alloc', 'matrix', 'grow', 'trap', 'abort']) {
      expect(stdout).toContain(`module ${guest}.wasm`);
    }
    expect(stdout).toMatch(/add\s+1000000\s+0/);
    expect(stdout).toContain('ERR_WASM_TRAP×1');
    expect(stdout).toContain('grow(1000) = -1 (refused)');
    expect(stdout).toMatch(/flamegraph written to build\/demo\/profile-flamegraph\.svg/);
    expect(stdout).toMatch(/top functions \(instrumented, by self nanoseconds\)/);
    // The worker-pool part: exact answers, tenant state, a runaway stopped, the merged profile.
    expect(stdout).toContain('256 in flight: checksum 5000050000');
    expect(stdout).toContain('sumF64x4 over 1,000,000 doubles (8 MB through the ring, copied once into guest memory) = 49500000');
    expect(stdout).toContain('tenant sandboxes keep their own state: A kept 3, B kept 1');
    expect(stdout).toMatch(/spinForever\(\) \(not instrumented\) with timeoutMs 100 → ERR_DEADLINE_EXCEEDED: .*its worker was terminated and replaced/);
    expect(stdout).toContain('after the runaway, add(40, 2) = 42');
    expect(stdout).toContain('workers 2, restarts 1, crashes 1');
    expect(stdout).toMatch(/pool profile \(merged across workers\)\n\nmodule add .*\n(.*\n){5}add\s+100000\s+0/);
    // It ends with its findings (test/analyze-rules.test.ts checks each rule; here, that they are wired).
    const findings = stdout.slice(stdout.indexOf('\nfindings (in-process modules and the pool)\n'));
    expect(findings).toMatch(/\[high\] trap\.wasm: 4 of 5 calls failed \(80 %\), in 4 exports {2}\(error-rate, errors\)/);
    expect(findings).toMatch(/\[high\] spinForever: 1 of 1 calls stopped by the deadline \(100 %\) {2}\(limit-exhausted, limits\)/);
    expect(findings).toMatch(/\[high\] assembly\/profile\/kernel holds (9\d|100) % of profile\.wasm \(instrumented\)'s nanoseconds {2}\(hot-function, cpu\)/);
    expect(findings).toMatch(/\npassed \(\d+\): .*trap-storm/);
    // The allocation tracker's and the cache simulator's reports of the demo, analysed as they are (exact counts).
    expect(findings).toContain('. [medium] leak keeps 2608 more live bytes after every call  (leak, allocation)\n   where: module alloc.wasm (allocations), export leak, path assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor\n');
    expect(findings).toContain('from assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor 2,560 bytes/call');
    expect(findings).toContain('. [medium] assembly/alloc/churn → ~lib/arraybuffer/ArrayBuffer#constructor allocates 1000 blocks a call  (allocation-hot-spot, allocation)\n');
    expect(findings).not.toMatch(/churn keeps \d+ more live bytes/); // churn returns to its baseline
    // This machine's geometry: any D1 under 2 MiB misses every load of a 512 × 8 B column at a 4 KiB stride.
    expect(findings).toContain('. [high] assembly/matrix/sumColumnMajor misses D1 on 100 % of its loads, striding 4096 B  (poor-locality, locality)\n   where: module matrix.wasm (cache simulation), export sumColumnMajor, function assembly/matrix/sumColumnMajor\n');
    expect(findings).toContain('evidence: loads 262,144 accesses · D1 misses 262,144 misses · D1 miss rate 100.0 %');
    expect(findings).not.toMatch(/sumRowMajor .*\(poor-locality/);
  });
});
