/**
 * The HTML report as a string and as files the CLI writes: policy hashes that match the page's
 * own script and style, sections in the order a person decides, every name escaped, panels
 * that say when their data was not recorded, the readers of every saved JSON, run grouping,
 * the comparison's deltas, a real pool's panels. The browser half is html-report-browser.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCH_SCHEMA, compareRuns, createPool, groupRuns, readReportRun, renderHtmlReport, type BenchFile, type ReportRun } from '../src/index.js';
import type { AllocationReport } from '../src/profiler/model/allocation-report.js';
import type { CacheReport } from '../src/profiler/model/cache-report.js';
import { flameData } from './helpers/flame-data.js';
import { guestPath } from './helpers/guests.js';
import { HOSTILE_FUNCTION, HOSTILE_SCRIPT, MODULE_LABEL, namesAnalysis, namesRun } from './helpers/report-runs.js';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('base64');
const between = (html: string, open: string, close: string): string[] => html.split(open).slice(1).map((part) => part.slice(0, part.indexOf(close)));

function bench(value: number, ratio: number, samples?: readonly number[]): BenchFile {
  return {
    schema: BENCH_SCHEMA,
    benchmark: 'call-overhead',
    startedAt: '2026-12-01T00:00:00.000Z',
    machine: { cpus: 2, model: 'test cpu', memoryBytes: 2 ** 33, platform: 'linux', arch: 'x64' },
    versions: { node: '20' },
    results: [{ benchmark: 'call-overhead', case: 'add(i32)', metric: 'per call', value, unit: 'ns', baseline: { name: 'raw wasm', value: value / ratio }, ratio, target: 'ratio <= 2', met: ratio <= 2, ...(samples === undefined ? {} : { samples }) }],
  };
}

describe('renderHtmlReport', () => {
  it("allows exactly the scripts and styles it carries (its own and each flamegraph's), by hash, and nothing else", async () => {
    const html = renderHtmlReport({ runs: [await namesRun('before.json', 5, 2), await namesRun('after.json', 9, 4)] });
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    const own = between(html, '<script>', '</script>');
    const flames = between(html, '<script type="text/ecmascript"><![CDATA[', ']]></script>');
    const styles = between(html, '<style>', '</style>');
    expect(own).toHaveLength(1);
    // Each run's flamegraph and the differential one: three scripts, each its own data.
    expect(flames).toHaveLength(3);
    expect(new Set(flames).size).toBe(3);
    // The page's style, and the one every flamegraph carries.
    expect(styles).toHaveLength(4);
    expect(new Set(styles).size).toBe(2);
    expect(html.split('<script').length - 1).toBe(1 + 3 + 1); // the page's, the flamegraphs', the data block
    const directive = (name: string): string[] => policy.split('; ').find((d) => d.startsWith(`${name} `))!.split(' ').slice(1).sort();
    const hashes = (texts: readonly string[]): string[] => [...new Set(texts)].map((t) => `'sha256-${sha256(t)}'`).sort();
    expect(directive('script-src')).toEqual(hashes([...own, ...flames]));
    expect(directive('style-src')).toEqual(hashes(styles));
    expect(policy.split('; ').filter((d) => !/^(script|style)-src /.test(d))).toEqual([`default-src 'none'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`]);
    // No tag carries an inline handler, a style attribute or anything fetched from elsewhere.
    const tags = html.match(/<[a-z][^>]*>/gi)!;
    expect(tags.length).toBeGreaterThan(100);
    expect(tags.filter((t) => /\son[a-z]+=|\sstyle=|^<link|^<img|^<iframe|\ssrc=|href="(?!#)/i.test(t))).toEqual([]);
  });

  it('puts findings first, then per module cold start, latency, exports, memory, cache, top functions, flamegraph; comparison with two runs', async () => {
    const html = renderHtmlReport({ runs: [await namesRun('before.json', 5, 2), await namesRun('after.json', 9, 4)], analysis: namesAnalysis() });
    const order = ['id="findings"', 'id="comparison"', 'id="comparison-table"', 'id="diff-m0"', 'id="r1-m0-cold"', 'id="r1-m0-latency"', 'id="r1-m0-exports"', 'id="r1-m0-memory"', 'id="r1-m0-cache"', 'id="r1-m0-functions"', 'id="r1-m0-flamegraph"', 'id="r0"'];
    const at = order.map((id) => html.indexOf(id));
    expect(at.every((i) => i > 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(html.match(/<li class="finding /g)).toHaveLength(3);
    expect(html).toContain('<p id="findings-count" data-count="3">3 findings');
  });

  it('escapes every guest name in the markup and in the embedded JSON', async () => {
    const html = renderHtmlReport({ runs: [await namesRun('one.json', 5, 2)], analysis: namesAnalysis() });
    expect(html).not.toContain('<img');
    expect(html).not.toContain(MODULE_LABEL);
    expect(html).toContain('names&lt;b&gt;.wasm');
    expect(html.split('<script').length - 1).toBe(3); // the data block, the page's own script, the flamegraph's
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    expect(html).toContain('&lt;script&gt;window.__pwned=2&lt;/script&gt;');
    const data = between(html, '<script type="application/json" id="report-data">', '</script>')[0]!;
    expect(data).not.toMatch(/[<>&]/);
    const parsed = JSON.parse(data) as { runs: ReportRun[] };
    expect(parsed.runs[0]!.modules[0]!.profile.module.label).toBe(MODULE_LABEL);
    // The flamegraph's own data carries the names as they are (its script writes them as text).
    const flame = flameData(html);
    expect(flame.names).toContain(HOSTILE_FUNCTION);
    expect(flame.names).toContain(HOSTILE_SCRIPT);
    expect(/\nvar D = (\{.*?\}), ID = /.exec(html)![1]).not.toMatch(/[<>&]/);
  });

  it('stays small whatever the guest names and however wide the tree', async () => {
    const run = await namesRun('one.json', 5, 2);
    const module = run.modules[0]!;
    const huge = 'x'.repeat(1 << 20);
    const tree = structuredClone(module.tree!);
    const children = Array.from({ length: 5_000 }, (_, i) => ({ name: i === 0 ? huge : `leaf${i}`, functionIndex: 100 + i, calls: 1, total: 1, self: 1, min: 1, max: 1, children: [] }));
    const heavy = { name: huge, functionIndex: 99, calls: 1, total: 1_000_000, self: 1_000_000, min: 1, max: 1, children: [] };
    tree.root.children.push(heavy, ...children);
    tree.root.total += heavy.total + children.length;
    const html = renderHtmlReport({ runs: [{ ...run, modules: [{ ...module, tree }] }] });
    expect(html.length).toBeLessThan(300_000);
    // The flamegraph keeps its 4,000 widest frames; the other 1,005 leaves are one entry that counts them.
    const flame = flameData(html);
    expect(flame.frames).toHaveLength(4_001);
    expect(flame.frames.filter((f) => f.name === undefined).map((f) => [f.depth, f.hidden])).toEqual([[0, 1_005]]);
    const shortened = `${'x'.repeat(132)}…[1048400 chars cut]…${'x'.repeat(44)}`;
    expect(flame.frames.filter((f) => f.functionIndex === 99 || f.functionIndex === 100).map((f) => f.name)).toEqual([shortened, shortened]);
    // Drawn at full width, the leaves are one box, which says what the file left out.
    expect(html).toContain('<title>(5000 narrow frames)\ntotal 5,000 instructions (0.50%)\nclick to zoom in (1005 too small to keep in this file)</title>');
  });

  it('says which panels a run did not record, and draws them when it did', async () => {
    const run = await namesRun('one.json', 5, 2);
    const plain = renderHtmlReport({ runs: [run] });
    expect(plain).toContain('Allocation tracking (live heap over calls, peak, leaks) was not recorded for this run.');
    expect(plain).toContain('Cache simulation was not recorded for this run.');
    expect(plain).toContain('No analysis was recorded for this run');
    const frame = { name: HOSTILE_FUNCTION, functionIndex: 3 };
    const allocations: AllocationReport = {
      schema: 'wasm-sandbox/allocation-report@1',
      allocator: { family: 'assemblyscript', functions: ['~lib/rt/itcms/__new'], freesVisible: true, notes: [] },
      totals: { blocks: 10, bytes: 640, freedBlocks: 6, freedBytes: 384, temporaryBlocks: 2, liveBlocksAtEnd: 4, liveBytesAtEnd: 256 },
      peak: { liveBytes: 512, liveBlocks: 8, export: 'run', call: 2, stack: [frame] },
      sites: [{ stack: [frame], blocks: 10, bytes: 640, freedBlocks: 6, freedBytes: 384, liveBlocksAtPeak: 8, liveBytesAtPeak: 512, liveBlocksAtEnd: 4, liveBytesAtEnd: 256, temporaryBlocks: 2, averageBytes: 64, sizeHistogram: [{ minBytes: 64, maxBytes: 127, blocks: 10 }], reallocs: 0, longestReallocChain: 0 }],
      perCall: [{ export: 'run', calls: 3, liveBytesGainedPerCall: 128, sites: [{ stack: [frame], bytesPerCall: 128 }] }],
      timeline: [1, 2, 3].map((call) => ({ export: 'run', call, memoryBytes: 65536, liveBytes: 128 * call })),
    };
    const counters = { reads: 1000, writes: 500, d1ReadMisses: 100, d1WriteMisses: 50, llReadMisses: 10, llWriteMisses: 5, estimatedCycles: 3000 };
    const cacheSimulation: CacheReport = {
      schema: 'wasm-sandbox/cache-report@1',
      geometry: { d1: { sizeBytes: 32768, associativity: 8, lineBytes: 64 }, ll: { sizeBytes: 2 ** 21, associativity: 16, lineBytes: 64 }, source: 'preset' },
      totals: counters,
      functions: [{ ...frame, ...counters, stride: { kind: 'strided', bytes: 256 } }],
      exports: [{ name: 'run', calls: 3, workingSetLines: 12, ...counters }],
      reuseDistance: { lineBytes: 64, buckets: [], cold: 0 },
      notes: [],
    };
    const module = run.modules[0]!;
    const html = renderHtmlReport({ runs: [{ ...run, modules: [{ ...module, profile: { ...module.profile, allocations, cacheSimulation } }] }] });
    expect(html).not.toContain('was not recorded');
    expect(html).toContain('Peak live heap <b>512 B</b> (8 blocks) in call 2 of <code>run</code>');
    expect(html).toContain('<code>run</code> keeps <b>128 B</b> more live per call over 3 calls');
    expect(html).toContain('id="r0-m0-memory-chart"');
    expect(html).toContain('D1 miss rate <b>10.00 %</b>, LL miss rate <b>1.00 %</b>');
    expect(html).toContain('<td>strided 256 B</td>');
    expect(html).not.toContain('<img');
  });
});

describe('report inputs', () => {
  it('reads every saved shape and groups files into runs', async () => {
    const run = await namesRun('x', 5, 2);
    const { profile, tree } = run.modules[0]!;
    expect(readReportRun(profile, 'a.json').modules).toHaveLength(1);
    expect(readReportRun([profile, profile], 'demo.json').modules).toHaveLength(2);
    expect(readReportRun({ result: 3, metrics: {}, profile }, 'run.json').modules[0]!.tree).toBeUndefined();
    const saved = readReportRun(JSON.parse(JSON.stringify({ tree, functions: [], profile })), 'profile.json');
    expect(saved.modules[0]!.tree!.root.total).toBe(tree!.root.total);
    expect(readReportRun(bench(30, 1.5), 'bench.json').bench).toHaveLength(1);
    expect(readReportRun(namesAnalysis(), 'analysis.json').analysis!.findings).toHaveLength(3);
    expect(() => readReportRun({ tree }, 'old.json')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_FORMAT', reason: 'malformed', message: expect.stringContaining('old.json: holds a call tree but no module profile') }));
    expect(() => readReportRun({ hello: 1 }, 'x.json')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_FORMAT', reason: 'malformed', message: expect.stringContaining('x.json: not a profile the report can read;') }));
    expect(() => readReportRun({ schema: 'wasm-sandbox/other@1' }, 'y.json')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_FORMAT', reason: 'unknown-schema', found: 'wasm-sandbox/other@1' }));
    // A saved profile (profile --save) goes through the analyzer's reader, with its checks.
    const savedProfile = { schema: 'wasm-sandbox/saved-profile@1', savedAt: '2026-12-01T00:00:00.000Z', modules: [{ profile, tree, callOverheadNs: 40 }] };
    expect(readReportRun(JSON.parse(JSON.stringify(savedProfile)), 'saved.json').modules[0]).toMatchObject({ callOverheadNs: 40, tree: { root: { total: tree!.root.total } } });
    expect(() => readReportRun({ ...savedProfile, schema: 'wasm-sandbox/saved-profile@9' }, 'new.json')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_FORMAT', reason: 'newer-schema' }));

    const runs = groupRuns([
      readReportRun(profile, 'before.json'),
      readReportRun(namesAnalysis(), 'analysis.json'),
      readReportRun(bench(30, 1.5), 'bench-before.json'),
      readReportRun(profile, 'after.json'),
      readReportRun(bench(20, 1.2), 'bench-after.json'),
    ]);
    expect(runs.map((r) => [r.name, r.modules.length, r.bench?.length ?? 0, r.analysis !== undefined])).toEqual([
      ['before.json + analysis.json + bench-before.json', 1, 1, true],
      ['after.json + bench-after.json', 1, 1, false],
    ]);
  });

  it('compares runs: latency re-derived from each histogram, instructions per call exact, bench cases through compare/ statistics', async () => {
    const before = await namesRun('before.json', 20, 3);
    const after = await namesRun('after.json', 40, 3);
    const slow = [30, 31, 29, 30, 32, 31, 30, 29];
    const fast = [20, 21, 19, 20, 22, 21, 20, 19];
    const comparison = compareRuns({ ...before, bench: [bench(30, 1.5, slow)] }, { ...after, bench: [bench(20, 1.25, fast)] });
    const rows = comparison.rows;
    const find = (name: string, metric: string) => rows.find((r) => r.name === name && r.metric === metric)!;
    const [b, a] = [before, after].map((r) => r.modules[0]!.profile.exports.find((e) => e.name === 'run')!);
    expect(find('run', 'instructions/call')).toMatchObject({ before: b!.instructions / 3, after: a!.instructions / 3, delta: a!.instructions / b!.instructions - 1 });
    expect(a!.instructions).toBeGreaterThan(b!.instructions);
    expect(find('run', 'p99 latency')).toMatchObject({ before: b!.latency.p99, after: a!.latency.p99 });
    expect(find('run', 'p99 latency').p).toBeUndefined();
    expect(find('control', 'instructions/call').delta).toBe(0);
    // Eight rounds a side, every after round faster than every before round: significant after Holm.
    const benchRow = find('add(i32)', 'per call');
    expect(benchRow).toMatchObject({ group: 'call-overhead', before: 30, after: 20, delta: 20 / 30 - 1, lowerIsBetter: true, verdict: 'improved', n: { before: 8, after: 8 } });
    expect(benchRow.p).toBeLessThan(0.001);
    expect(rows).toHaveLength(2 * 4 + 1);
    const html = renderHtmlReport({ runs: [{ ...before, bench: [bench(30, 1.5, slow)] }, { ...after, bench: [bench(20, 1.25, fast)] }] });
    expect(html).toMatch(/<span class="delta-better">-33\.33 %<\/span>/);
    expect(html).toContain(`p=${benchRow.p!.toPrecision(2)} n=8+8`);
    // One value a side: compare/ judges it unchanged (benchstat's ~), with its few-samples warning.
    const single = compareRuns({ ...before, bench: [bench(30, 1.5)] }, { ...after, bench: [bench(20, 1.25)] }).rows.find((r) => r.name === 'add(i32)')!;
    expect(single).toMatchObject({ verdict: 'unchanged', n: { before: 1, after: 1 } });
    expect(single.warnings!.length).toBeGreaterThan(0);
  });

  it("shows a real pool's workers and queue wait", async () => {
    const pool = await createPool({ modules: { add: guestPath('add') }, threads: 1 });
    try {
      for (let i = 0; i < 20; i++) await pool.call('add', 'add', i, 1);
      const run = readReportRun(JSON.parse(JSON.stringify(await pool.profile())), 'pool.json');
      expect(run.workers).toEqual({ threads: 1, restarts: 0, crashes: 0 });
      expect(run.modules[0]!.queueWait!.count).toBe(20);
      const html = renderHtmlReport({ runs: [run] });
      expect(html).toContain('<tr><th scope="row">worker threads</th><td class="n">1</td></tr>');
      expect(html).toContain('<tr><th scope="row">crashes (a worker died under a call)</th><td class="n">0</td></tr>');
      expect(html).toContain('id="r0-m0-pool"');
      expect(html).toContain('id="r0-m0-wait-chart"');
    } finally {
      await pool.close();
    }
  });
});

describe('wasm-sandbox report / profile --report', () => {
  const cli = (...args: string[]) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  };

  it('profile --report writes the page; report reads profile --json output and bench files, one run or two', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-report-'));
    const page = join(dir, 'profile.html');
    const saved = cli('profile', guestPath('profile'), 'outer', '2000', '--mode', 'instructions', '--report', page, '--json');
    expect(saved.status).toBe(0);
    const profilePage = readFileSync(page, 'utf8');
    expect(profilePage).toMatch(/^<!DOCTYPE html>[\s\S]*Content-Security-Policy[\s\S]*assembly\/profile\/kernel[\s\S]*<\/html>\n$/);
    // The page opens with the analyzer's findings of this run: as many items as its embedded analysis.
    const embedded = JSON.parse(between(profilePage, '<script type="application/json" id="report-data">', '</script>')[0]!) as { analysis: { findings: { id: string }[] } };
    expect(embedded.analysis.findings.map((f) => f.id)).toContain('hot-function');
    expect(profilePage.match(/<li class="finding /g)).toHaveLength(embedded.analysis.findings.length);
    expect(profilePage).toContain(`data-count="${embedded.analysis.findings.length}"`);
    const json = join(dir, 'profile.json');
    writeFileSync(json, saved.stdout);
    const benchFile = join(dir, 'bench.json');
    writeFileSync(benchFile, JSON.stringify(bench(30, 1.5)));

    const one = cli('report', json, benchFile, '-o', join(dir, 'one.html'));
    expect([one.status, one.stderr]).toEqual([0, '']);
    expect(one.stdout).toBe(`wrote ${join(dir, 'one.html')} (1 run: ${json} + ${benchFile})\n`);
    const onePage = readFileSync(join(dir, 'one.html'), 'utf8');
    expect(onePage).toContain('id="r0-m0-flame"');
    expect(onePage).toContain('id="r0-bench-0-table"');
    expect(onePage).not.toContain('id="comparison"');

    const savedFile = join(dir, 'saved.json');
    expect(cli('profile', guestPath('profile'), 'outer', '2000', '--mode', 'instructions', '--save', savedFile).status).toBe(0);
    const fromSaved = cli('report', savedFile, '-o', join(dir, 'saved.html'));
    expect([fromSaved.status, fromSaved.stderr]).toEqual([0, '']);
    const savedPage = readFileSync(join(dir, 'saved.html'), 'utf8');
    expect(savedPage).toContain('id="r0-m0-flame"');
    expect(savedPage).toMatch(/<p id="findings-count" data-count="[1-9]\d*">/); // analysed by the report command

    const two = cli('report', json, json, '--output', join(dir, 'two.html'));
    expect(two.status).toBe(0);
    const twoPage = readFileSync(join(dir, 'two.html'), 'utf8');
    expect(twoPage).toContain('id="comparison-table"');
    expect(twoPage).toContain('id="diff-m0-diff"');

    const bad = cli('report', join(dir, 'missing.json'), '-o', join(dir, 'x.html'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^ERR_WASM_SOURCE: cannot read profile ${join(dir, 'missing.json')}: ENOENT`));
    writeFileSync(join(dir, 'not.json'), 'hello');
    const notJson = cli('report', join(dir, 'not.json'));
    expect([notJson.status, notJson.stderr.split(':')[0]]).toEqual([1, 'ERR_PROFILE_FORMAT']);
  });

  it('report reads profile --mode alloc --json and --mode cache --json: their reports land in the memory and cache panels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-modes-'));
    const alloc = cli('profile', guestPath('alloc'), 'leak', '4', '100', '--mode', 'alloc', '--repeat', '3', '--json');
    expect([alloc.status, alloc.stderr]).toEqual([0, '']);
    writeFileSync(join(dir, 'alloc.json'), alloc.stdout);
    const cache = cli('profile', guestPath('sum'), 'squares', '1000', '--mode', 'cache', '--D1=1024,2,64', '--LL=65536,4,64', '--json');
    expect([cache.status, cache.stderr]).toEqual([0, '']);
    // Still the cache report at the top (what --json printed before), with the module profile beside its fields.
    expect(JSON.parse(cache.stdout)).toMatchObject({ schema: 'wasm-sandbox/cache-report@1', profile: { schema: 'wasm-sandbox/module-profile@1' } });
    writeFileSync(join(dir, 'cache.json'), cache.stdout);
    const out = cli('report', join(dir, 'alloc.json'), join(dir, 'cache.json'), '-o', join(dir, 'modes.html'));
    expect([out.status, out.stderr]).toEqual([0, '']);
    const page = readFileSync(join(dir, 'modes.html'), 'utf8');
    // One run, two modules: alloc.wasm's allocation report, sum.wasm's cache simulation.
    // leak(4, 100): four 100 B ArrayBuffers and the list's growth stay live per call; the analyzer flags it too.
    expect(page).toContain('<code>leak</code> keeps <b>416 B</b> more live per call over 3 calls');
    expect(page).toContain('data-rule="leak"');
    expect(page).toContain('id="r0-m0-sites-table"');
    expect(page).toContain('id="r0-m1-cache-table"');
    expect(page).toContain('<code>assembly/sum/squares</code>');
    expect(page).toContain('Simulated D1 1.0 KiB, 2-way, 64 B lines; LL 64.0 KiB, 4-way, 64 B lines');
  });
});
