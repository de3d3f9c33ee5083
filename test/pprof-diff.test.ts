/**
 * pprof exports read by pprof itself (`go tool pprof`, Debian's golang-go): a single profile's
 * totals, and the differential profile `toPprofDiff` writes, which must read exactly as
 * `pprof -diff_base before after` does with the two profiles written apart.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromFolded } from '../src/profiler/export/folded.js';
import { fromPprofDiff, toPprof, toPprofDiff } from '../src/profiler/export/pprof.js';

const dir = mkdtempSync(join(tmpdir(), 'flame-pprof-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** `go tool pprof -top` as rows [flat, cum, name], plus its "Showing … of N total" line. */
function pprofTop(...args: string[]): { total: string; rows: string[][] } {
  const out = execFileSync('go', ['tool', 'pprof', '-top', '-nodecount=100', ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir, PPROF_TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  const total = /Showing nodes accounting for .*? of (\S+) total/.exec(out)?.[1] ?? '?';
  const rows = out
    .split('\n')
    .filter((line) => /^\s+-?[\d.]+\w*\s+[\d.]+%\s+-?[\d.]+%\s+-?[\d.]+\w*\s+[\d.]+%\s+\S/.test(line))
    .map((line) => {
      const f = line.trim().split(/\s+/);
      return [f[0]!, f[3]!, f.slice(5).join(' ')];
    });
  return { total, rows };
}

const BEFORE = fromFolded('main;parse 20\nmain;eval;fib 10\nmain 30\nmain;gone 5\n', 'instrumented', 'nanoseconds');
const AFTER = fromFolded('main;parse 10\nmain;eval;fib 40\nmain 30\nmain;new 7\n', 'instrumented', 'nanoseconds');

describe('pprof read by go tool pprof', () => {
  it('a profile: flat and cumulative weights exact', () => {
    const { total, rows } = pprofTop(write('after.pb.gz', toPprof(AFTER)));
    expect(total).toBe('87ns');
    expect(rows).toEqual([
      ['40ns', '40ns', 'fib'],
      ['30ns', '87ns', 'main'],
      ['10ns', '10ns', 'parse'],
      ['7ns', '7ns', 'new'],
      ['0', '40ns', 'eval'],
    ]);
  });

  it('the differential profile reads as -diff_base does: after − before, percentages of the base', () => {
    const before = write('before.pb.gz', toPprof(BEFORE));
    const after = write('after.pb.gz', toPprof(AFTER));
    const diff = write('diff.pb.gz', toPprofDiff(BEFORE, AFTER));
    const pprofs = pprofTop('-diff_base', before, after);
    expect(pprofTop(diff)).toEqual(pprofs);
    expect(pprofs).toEqual({
      total: '65ns', // the base's total, as -diff_base reports it
      rows: [
        ['30ns', '30ns', 'fib'],
        ['-10ns', '-10ns', 'parse'],
        ['7ns', '7ns', 'new'],
        ['-5ns', '-5ns', 'gone'],
        ['0', '30ns', 'eval'],
        ['0', '22ns', 'main'],
      ],
    });
    // And our own reader splits it back by the label.
    const back = fromPprofDiff(toPprofDiff(BEFORE, AFTER), BEFORE);
    expect([back.before.root.total, back.after.root.total]).toEqual([65, 87]);
  });

  it('normalised: before scaled to after\'s total first', () => {
    const small = fromFolded('a 10\nb 10\n', 'instrumented', 'nanoseconds');
    const big = fromFolded('a 20\nb 60\n', 'instrumented', 'nanoseconds');
    const { total, rows } = pprofTop(write('norm.pb.gz', toPprofDiff(small, big, { normalize: true })));
    expect(total).toBe('80ns');
    expect(rows).toEqual([
      ['-20ns', '-20ns', 'a'],
      ['20ns', '20ns', 'b'],
    ]);
  });
});
