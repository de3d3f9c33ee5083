/**
 * A cache report in cachegrind's output format, so that `cg_annotate` (and cg_diff, and
 * KCachegrind) read it: `desc:` lines with the geometry, `cmd:`, `events: Dr D1mr DLmr Dw D1mw
 * DLmw`, then one `fl=` (the module) with one `fn=` per guest function and its counts on line 0
 * (wasm functions have no source lines here), and the `summary:` totals. Reads that happened
 * outside any hooked function (a module loaded without hooks) are written as `(no function)`.
 * Function names are guest text: escaped to one line; names that repeat get their index.
 */
import { guestText } from '../../untrusted-text.js';
import type { CacheCounters, CacheLevelGeometry, CacheReport } from '../model/cache-report.js';

export const CACHEGRIND_EVENTS = ['Dr', 'D1mr', 'DLmr', 'Dw', 'D1mw', 'DLmw'] as const;

function counts(c: CacheCounters): string {
  return [c.reads, c.d1ReadMisses, c.llReadMisses, c.writes, c.d1WriteMisses, c.llWriteMisses].join(' ');
}

function desc(level: CacheLevelGeometry): string {
  return `${level.sizeBytes} B, ${level.lineBytes} B, ${level.associativity}-way associative`;
}

export function toCachegrind(report: CacheReport, options: { readonly command: string; readonly file: string }): string {
  const lines = [
    `desc: D1 cache:         ${desc(report.geometry.d1)}`,
    `desc: LL cache:         ${desc(report.geometry.ll)}`,
    `desc: simulated by wasm-sandbox from ${guestText(report.geometry.source)}`,
    `cmd: ${guestText(options.command)}`,
    `events: ${CACHEGRIND_EVENTS.join(' ')}`,
    `fl=${guestText(options.file)}`,
  ];
  const seen = new Map<string, number>();
  for (const f of report.functions) seen.set(f.name, (seen.get(f.name) ?? 0) + 1);
  let attributed = { reads: 0, writes: 0, d1ReadMisses: 0, d1WriteMisses: 0, llReadMisses: 0, llWriteMisses: 0 };
  for (const f of report.functions) {
    const name = (seen.get(f.name) ?? 0) > 1 && f.functionIndex !== undefined ? `${f.name} (func[${f.functionIndex}])` : f.name;
    lines.push(`fn=${guestText(name)}`, `0 ${counts(f)}`);
    attributed = {
      reads: attributed.reads + f.reads, writes: attributed.writes + f.writes,
      d1ReadMisses: attributed.d1ReadMisses + f.d1ReadMisses, d1WriteMisses: attributed.d1WriteMisses + f.d1WriteMisses,
      llReadMisses: attributed.llReadMisses + f.llReadMisses, llWriteMisses: attributed.llWriteMisses + f.llWriteMisses,
    };
  }
  const t = report.totals;
  const rest = {
    reads: t.reads - attributed.reads, writes: t.writes - attributed.writes,
    d1ReadMisses: t.d1ReadMisses - attributed.d1ReadMisses, d1WriteMisses: t.d1WriteMisses - attributed.d1WriteMisses,
    llReadMisses: t.llReadMisses - attributed.llReadMisses, llWriteMisses: t.llWriteMisses - attributed.llWriteMisses,
    estimatedCycles: 0,
  };
  if (rest.reads + rest.writes > 0) lines.push('fn=(no function)', `0 ${counts(rest)}`);
  lines.push(`summary: ${counts(t)}`, '');
  return lines.join('\n');
}
