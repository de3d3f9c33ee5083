// The CLI's fleet side: `load --metrics` serves a running pool's metrics, `merge` combines saved
// profiles, and long runs show progress on a terminal only (a real pseudo-terminal via `script`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPool, type ModuleProfile } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => { name: string; metrics: { labels?: Record<string, string>; value?: string }[] }[];
const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-cli-fleet-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI under a pseudo-terminal (util-linux `script`): stdout and stderr are a tty. */
function runOnTerminal(...args: string[]): { code: number | null; output: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, cwd: ROOT, env: { ...process.env, COLUMNS: '120' } });
  return { code: result.status, output: result.stdout };
}

describe('load --metrics', () => {
  it('serves the running pool’s metrics on loopback, and the counts match what it prints', async () => {
    const child = spawn(process.execPath, [CLI, 'load', guestPath('fib'), 'fib', '12', '--duration', '3', '--threads', '2', '--concurrency', '2', '--metrics', '127.0.0.1:0', '--json'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const match = /serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', () => reject(new Error(`load exited before serving metrics: ${stderr}`)));
    });
    await new Promise((r) => setTimeout(r, 1000));
    const families = parsePrometheus(await (await fetch(url)).text());
    const calls = families.find((f) => f.name === 'wasm_sandbox_calls_total')!.metrics.find((m) => m.labels!['outcome'] === 'ok')!;
    const during = Number(calls.value);
    expect(during).toBeGreaterThan(0);
    expect(families.find((f) => f.name === 'wasm_sandbox_pool_workers')!.metrics[0]!.value).toBe('2');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { failures: number; profile: { modules: Record<string, ModuleProfile> } };
    expect(result.failures).toBe(0);
    expect(result.profile.modules['fib']!.exports[0]!.calls).toBeGreaterThanOrEqual(during);
    // Not a terminal: no progress bar, only the URL line.
    expect(stderr.trim().split('\n')).toEqual([`serving metrics at ${url}`]);
  });

  it('refuses a bad listen address with one typed line', () => {
    const { code, stderr } = run('load', guestPath('fib'), 'fib', '1', '--duration', '1', '--metrics', 'nope');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('ERR_WASM_ARGUMENT: --metrics takes host:port or a port, got "nope"');
  });
});

describe('merge', () => {
  it('merges profiles saved by separate processes: counts add, one profile per module', () => {
    const saved = [3, 4].map((n, i) => {
      const { code, stdout } = run('run', guestPath('add'), 'add', String(n), '1', '--json');
      expect(code).toBe(0);
      const file = join(dir, `run-${i}.json`);
      writeFileSync(file, stdout);
      return file;
    });
    const fibRun = run('run', guestPath('fib'), 'fib', '10', '--json');
    writeFileSync(join(dir, 'fib.json'), fibRun.stdout);
    const out = join(dir, 'all.json');
    const { code, stderr } = run('merge', ...saved, join(dir, 'fib.json'), '-o', out);
    expect(code).toBe(0);
    expect(stderr).toContain('merged 3 file(s): 2 module(s), 3 calls');
    const merged = JSON.parse(readFileSync(out, 'utf8')) as ModuleProfile[];
    expect(merged.map((m) => m.module.label).sort()).toEqual(['add.wasm', 'fib.wasm']);
    const add = merged.find((m) => m.module.label === 'add.wasm')!;
    expect(add.exports.find((e) => e.name === 'add')!.calls).toBe(2);
    expect(add.instances).toBe(2);
    expect(add.exports.find((e) => e.name === 'add')!.latency.count).toBe(2);
  });

  it('merges a pool profile with a run of the same module in this process (the files report reads)', async () => {
    const pool = await createPool({ modules: { add: guestPath('add') }, threads: 1 });
    try {
      for (let i = 0; i < 5; i++) expect(await pool.call('add', 'add', i, 1)).toBe(i + 1);
      writeFileSync(join(dir, 'pool.json'), JSON.stringify(await pool.profile()));
    } finally {
      await pool.close();
    }
    writeFileSync(join(dir, 'one.json'), run('run', guestPath('add'), 'add', '2', '2', '--json').stdout);
    const { code, stdout, stderr } = run('merge', join(dir, 'pool.json'), join(dir, 'one.json'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // One module (the same bytes): one profile, under the first file's label (the pool's module id).
    const merged = JSON.parse(stdout) as ModuleProfile;
    expect(merged.module.label).toBe('add');
    expect(merged.exports.find((e) => e.name === 'add')!.calls).toBe(6);
  });

  it('refuses a newer schema, a file that is not JSON and a file with no profile, typed as report refuses them', () => {
    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify({ schema: 'wasm-sandbox/module-profile@9', module: {} }));
    const refused = run('merge', newer);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ERR_PROFILE_FORMAT: .*newer\.json is wasm-sandbox\/module-profile@9, newer than this version of wasm-sandbox reads \(wasm-sandbox\/module-profile@1\)/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"profile": ');
    expect(run('merge', broken).stderr).toMatch(/^ERR_PROFILE_FORMAT: .*broken\.json is not JSON/);
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"hello": 1}');
    expect(run('merge', other).stderr).toMatch(/^ERR_PROFILE_FORMAT: .*other\.json: not a profile the report can read/);
    const bench = join(dir, 'bench.json');
    writeFileSync(bench, JSON.stringify({ schema: 'wasm-sandbox/bench@2', benchmark: 'x', startedAt: '2026-12-01T00:00:00.000Z', machine: {}, versions: {}, results: [] }));
    expect(run('merge', bench).stderr).toMatch(/^ERR_WASM_ARGUMENT: .*bench\.json holds no wasm-sandbox module profile/);
  });
});

describe('progress on long runs', () => {
  it('shows a bar with an ETA on a terminal, and nothing on a pipe or with --quiet', () => {
    const args = ['profile', guestPath('fib'), 'fib', '8', '--repeat', '2000', '--mode', 'instructions'];
    const terminal = runOnTerminal(...args);
    expect(terminal.code).toBe(0);
    expect(terminal.output).toMatch(/profile fib \[[=-]+\] \d+% \| \d+\/2000 calls \| ETA/);
    expect(terminal.output).toContain('fib');

    const quiet = runOnTerminal(...args, '--quiet');
    expect(quiet.code).toBe(0);
    expect(quiet.output).not.toContain('ETA');

    const piped = run(...args);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('ETA');
  });

  it('shows report generation over many inputs file by file on a terminal, and nothing on a pipe', () => {
    const files = [3, 4, 5].map((n, i) => {
      const file = join(dir, `report-input-${i}.json`);
      writeFileSync(file, run('run', guestPath('add'), 'add', String(n), '1', '--json').stdout);
      return file;
    });
    const out = join(dir, 'report.html');
    const terminal = runOnTerminal('report', ...files, '-o', out);
    expect(terminal.code).toBe(0);
    expect(terminal.output).toMatch(/report \[[=-]+\] \d+% \| \d\/3 files/);
    const piped = run('report', ...files, '-o', out);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('Content-Security-Policy');
  });

  it('shows the interleaved A/B of two builds round by round on a terminal, and nothing on a pipe', () => {
    const args = ['compare', guestPath('grid-sum-columns'), guestPath('grid-sum-rows'), 'sum', '64', '--rounds', '4'];
    const terminal = runOnTerminal(...args);
    expect(terminal.code).toBe(0);
    expect(terminal.output).toMatch(/A\/B sum \[[=-]+\] \d+% \| \d+\/6 rounds \| ETA/);
    const piped = run(...args);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toContain('both return');
  });
});
