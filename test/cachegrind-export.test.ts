import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheProfiler } from '../src/host/profiling/cache-profiler.js';
import { WasmHost } from '../src/index.js';
import { toCachegrind } from '../src/profiler/export/cachegrind.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });
const CG_ANNOTATE = '/usr/bin/cg_annotate'; // Debian's valgrind package (.ci/run installs it)

/** The counts of a cg_annotate line (`1,234 (95.4%)  56 …  label`; percentages dropped), and its label. */
function row(line: string): { counts: number[]; label: string } {
  const parts = line.trim().split(/\s+/);
  const counts: number[] = [];
  for (;;) {
    const part = parts[0];
    if (part === undefined) break;
    if (/^[\d,]+$/.test(part)) counts.push(Number(part.replace(/,/g, '')));
    else if (!/^\(|%\)$/.test(part)) break;
    parts.shift();
  }
  return { counts, label: parts.join(' ') };
}

describe('cachegrind export', () => {
  it('is read by cg_annotate, whose totals and per-function lines are ours', async () => {
    const module = await host.load(guestPath('matrix'), { instrument: { memory: true, hooks: true } });
    const profiler = new CacheProfiler(module, { d1: { sizeBytes: 1024, associativity: 2, lineBytes: 64 }, ll: { sizeBytes: 65536, associativity: 4, lineBytes: 64 } });
    const sandbox = profiler.instantiate();
    sandbox.call('init', 32);
    sandbox.call('sumRowMajor');
    sandbox.call('sumColumnMajor');
    const report = profiler.report();
    const dir = mkdtempSync(join(tmpdir(), 'cg-'));
    const file = join(dir, 'cachegrind.out.1');
    writeFileSync(file, toCachegrind(report, { command: 'matrix.wasm sumRowMajor', file: 'matrix.wasm' }));
    const output = execFileSync(CG_ANNOTATE, ['--auto=no', file], { encoding: 'utf8' });
    expect(output).toContain('Events recorded:  Dr D1mr DLmr Dw D1mw DLmw');
    expect(output).toContain('D1 cache:         1024 B, 64 B, 2-way associative');
    const t = report.totals;
    const totals = row(output.split('\n').find((l) => l.includes('PROGRAM TOTALS'))!);
    expect(totals.counts).toEqual([t.reads, t.d1ReadMisses, t.llReadMisses, t.writes, t.d1WriteMisses, t.llWriteMisses]);
    const column = report.functions.find((f) => f.name === 'assembly/matrix/sumColumnMajor')!;
    const line = row(output.split('\n').find((l) => l.endsWith('matrix.wasm:assembly/matrix/sumColumnMajor'))!);
    expect(line.counts.slice(0, 3)).toEqual([column.reads, column.d1ReadMisses, column.llReadMisses]);
    expect(column.d1ReadMisses).toBe(32 * 32); // a 256 B row: a column's 32 lines share 2 of the 8 sets' 2 ways
  });

  it('escapes guest names to one line and keeps repeated names apart', () => {
    const counters = { reads: 3, writes: 1, d1ReadMisses: 2, d1WriteMisses: 1, llReadMisses: 1, llWriteMisses: 0, estimatedCycles: 0 };
    const text = toCachegrind(
      {
        schema: 'wasm-sandbox/cache-report@1',
        geometry: { d1: { sizeBytes: 1024, associativity: 2, lineBytes: 64 }, ll: { sizeBytes: 4096, associativity: 4, lineBytes: 64 }, source: 'test' },
        totals: { ...counters, reads: 7, writes: 2, d1ReadMisses: 4, d1WriteMisses: 2, llReadMisses: 2 },
        functions: [
          { name: 'dup', functionIndex: 1, ...counters, stride: { kind: 'irregular' } },
          { name: 'dup', functionIndex: 2, ...counters, stride: { kind: 'irregular' } },
          { name: 'evil\nfn=x', functionIndex: 3, ...counters, reads: 0, d1ReadMisses: 0, llReadMisses: 0, writes: 0, d1WriteMisses: 0, stride: { kind: 'irregular' } },
        ],
        exports: [],
        reuseDistance: { lineBytes: 64, buckets: [], cold: 0 },
        notes: [],
      },
      { command: 'x', file: 'm.wasm' },
    );
    expect(text).toBe(
      [
        'desc: D1 cache:         1024 B, 64 B, 2-way associative',
        'desc: LL cache:         4096 B, 64 B, 4-way associative',
        'desc: simulated by wasm-sandbox from test',
        'cmd: x',
        'events: Dr D1mr DLmr Dw D1mw DLmw',
        'fl=m.wasm',
        'fn=dup (func[1])',
        '0 3 2 1 1 1 0',
        'fn=dup (func[2])',
        '0 3 2 1 1 1 0',
        'fn=evil\\x0afn=x',
        '0 0 0 0 0 0 0',
        'fn=(no function)',
        '0 1 0 0 0 0 0',
        'summary: 7 4 2 2 2 0',
        '',
      ].join('\n'),
    );
  });
});
