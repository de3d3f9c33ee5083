/**
 * The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core.
 * The page is generated from real profiles (hostile function names included), written to
 * disk and opened from there, as a user would. Checks: no console errors and no request but
 * the file itself; the findings count equals the embedded JSON; a column sort reorders rows;
 * the flamegraph (flame's SVG, inline) highlights what a search matches and zooms on click; the
 * memory and cache panels show real allocation-tracker and cache-simulator data; no name
 * executes anything; an injected inline script is refused by the page's policy; the screenshot
 * is not blank.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BENCH_SCHEMA, CacheProfiler, WasmHost, readReportRun, renderHtmlReport, type BenchFile, type ReportModule } from '../src/index.js';
import { guestPath } from './helpers/guests.js';
import { HOSTILE_FUNCTION, HOSTILE_SCRIPT, namesAnalysis, namesRun } from './helpers/report-runs.js';

const CHROMIUM = '/usr/bin/chromium';

/** A bench result file as bench/report.ts writes it (@2: every round kept). */
function benchFile(samples: readonly number[]): BenchFile {
  const value = [...samples].sort((a, b) => a - b)[samples.length >> 1]!;
  return {
    schema: BENCH_SCHEMA,
    benchmark: 'call-overhead',
    startedAt: '2026-12-01T00:00:00.000Z',
    machine: { cpus: 2, model: 'test cpu', memoryBytes: 2 ** 33, platform: 'linux', arch: 'x64' },
    versions: { node: '20' },
    results: [{ benchmark: 'call-overhead', case: 'add(i32)', metric: 'per call', value, unit: 'ns', baseline: { name: 'raw wasm', value: 10 }, ratio: value / 10, target: 'ratio <= 2.5', met: value / 10 <= 2.5, samples }],
  };
}
/** The frames of the names module's call tree (run's callees and control), as the flamegraph draws them at full width. */
const FLAME_FRAMES = ['run', HOSTILE_FUNCTION, 'helper', HOSTILE_SCRIPT];
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** alloc.wasm's leak routine under the allocation tracker, as `profile --mode alloc --json` prints it and `report` reads it. */
function allocModule(): ReportModule {
  const out = spawnSync(process.execPath, [CLI, 'profile', guestPath('alloc'), 'leak', '10', '256', '--mode', 'alloc', '--repeat', '5', '--json'], { encoding: 'utf8', timeout: 60_000 });
  expect([out.status, out.stderr]).toEqual([0, '']);
  return readReportRun(JSON.parse(out.stdout), 'alloc.json').modules[0]!;
}

/** matrix.wasm walked row- then column-major (64 × 64 doubles) under the cache simulator: D1 1 KiB 2-way, LL 64 KiB 4-way. */
async function matrixModule(): Promise<ReportModule> {
  const module = await new WasmHost({ instrumentCacheDir: false }).load(guestPath('matrix'), { instrument: { memory: true, hooks: true } });
  const profiler = new CacheProfiler(module, { d1: { sizeBytes: 1024, associativity: 2, lineBytes: 64 }, ll: { sizeBytes: 65536, associativity: 4, lineBytes: 64 } });
  const sandbox = profiler.instantiate();
  sandbox.call('init', 64);
  sandbox.call('sumRowMajor');
  sandbox.call('sumColumnMajor');
  return { profile: module.profile() };
}
const OUTPUT = fileURLToPath(new URL('../test-output/report/', import.meta.url));

let context: BrowserContext;
let page: Page;
let profileDir: string;
const problems: string[] = [];
const requests: string[] = [];
let reportUrl: string;

beforeAll(async () => {
  const before = { ...(await namesRun('before.json', 20, 10)), bench: [benchFile([30, 31, 29, 30, 32, 31, 30, 29])] };
  const names = await namesRun('after.json', 40, 40);
  // Real memory and cache data beside it: the allocation tracker (through the CLI) and the cache simulator.
  const after = { ...names, modules: [...names.modules, allocModule(), await matrixModule()], bench: [benchFile([20, 21, 19, 20, 22, 21, 20, 19])] };
  mkdirSync(OUTPUT, { recursive: true });
  const file = join(OUTPUT, 'report.html');
  writeFileSync(file, renderHtmlReport({ runs: [before, after], analysis: namesAnalysis(), generatedAt: '2026-12-01T00:00:00.000Z' }));
  reportUrl = pathToFileURL(file).href;
  profileDir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(reportUrl, { waitUntil: 'load' });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('HTML report in headless Chromium', () => {
  it('loads with no console error and fetches nothing but itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([reportUrl]);
  });

  it('shows as many findings as the embedded JSON holds, each linking to an element of the page', async () => {
    const { shown, inJson, dangling } = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('report-data')!.textContent!) as { analysis: { findings: unknown[] } };
      const links = [...document.querySelectorAll<HTMLAnchorElement>('.finding a.evidence-link')];
      return {
        shown: document.querySelectorAll('.finding').length,
        inJson: data.analysis.findings.length,
        dangling: links.filter((a) => document.getElementById(a.hash.slice(1)) === null).map((a) => a.hash),
      };
    });
    expect(inJson).toBe(3);
    expect(shown).toBe(inJson);
    expect(dangling).toEqual([]);
    // The hot-function finding points at the hostile function's row in the top-functions table.
    const target = await page.evaluate(() => {
      const href = document.querySelector<HTMLAnchorElement>('#finding-0 a.evidence-link')!.hash.slice(1);
      return document.getElementById(href)!.querySelector('code')!.textContent;
    });
    expect(target).toBe(HOSTILE_FUNCTION);
  });

  it('shows the comparison with compare/ verdicts and the bench panel', async () => {
    const row = await page.$$eval('#comparison-table-table tbody tr', (rows) =>
      rows.map((r) => [...r.cells].map((c) => c.textContent ?? '')).find((cells) => cells[1] === 'add(i32)'),
    );
    expect(row?.[5]).toMatch(/^-\d+\.\d\d %/);
    expect(row?.[6]).toMatch(/^p=\S+ n=8\+8$/);
    expect(await page.$$eval('#r1-bench-0-table tbody tr', (rows) => rows.length)).toBe(1);
  });

  it('sorts a table by a column, and back', async () => {
    const table = '#r1-m0-exports-table';
    const names = (): Promise<string[]> => page.$$eval(`${table} tbody tr td:first-child`, (cells) => cells.map((c) => c.textContent ?? ''));
    const calls = (): Promise<number[]> => page.$$eval(`${table} tbody tr td:nth-child(2)`, (cells) => cells.map((c) => Number(c.getAttribute('data-v'))));
    expect(await names()).toEqual(['control', 'run']);
    await page.click(`${table} button.sort[data-col="1"]`); // calls: largest first
    expect(await calls()).toEqual([40, 3]);
    await page.click(`${table} button.sort[data-col="7"]`); // calls/s: largest first
    const rates = await page.$$eval(`${table} tbody tr td:nth-child(8)`, (cells) => cells.map((c) => Number(c.getAttribute('data-v'))));
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
    await page.click(`${table} button.sort[data-col="0"]`); // export: A to Z
    expect(await names()).toEqual(['control', 'run']);
    await page.click(`${table} button.sort[data-col="0"]`); // again: Z to A
    expect(await names()).toEqual(['run', 'control']);
    expect(await page.getAttribute(`${table} th:first-child`, 'aria-sort')).toBe('descending');
  });

  it("the flamegraph is flame's SVG: a search highlights what it matches, a click zooms, Ctrl-F over it searches", async () => {
    const graph = page.locator('#r1-m0-flame svg.wsfg');
    const frames = (): Promise<{ name: string; fill: string; cls: string; width: number }[]> =>
      graph.evaluate((svg) =>
        [...svg.querySelectorAll('.frames g.f')].map((g) => ({
          name: g.querySelector('title')!.textContent!.split('\n')[0]!.replace(/ \(func\[\d+\]\)$/, ''),
          fill: g.querySelector('rect')!.getAttribute('fill')!,
          cls: g.getAttribute('class')!,
          width: Number(g.querySelector('rect')!.getAttribute('width')),
        })),
      );
    const highlighted = async (): Promise<string[]> => (await frames()).filter((f) => f.fill === 'rgb(230,0,230)').map((f) => f.name).sort();
    const matched = (): Promise<string | null> => graph.locator('.matched').textContent();
    expect(await frames()).toHaveLength(FLAME_FRAMES.length);
    expect((await frames()).map((f) => f.name)).toEqual(FLAME_FRAMES);
    expect(await highlighted()).toEqual([]);

    page.once('dialog', (d) => void d.accept('helper'));
    await graph.locator('.search').click();
    expect(await highlighted()).toEqual(['helper']);
    expect(await matched()).toMatch(/^Matched: \d+\.\d%$/);
    page.once('dialog', (d) => void d.accept('^(run|helper)$'));
    await graph.locator('.search').click();
    expect(await highlighted()).toEqual(['helper', 'run']);
    await graph.locator('.reset-search').click();
    expect(await highlighted()).toEqual([]);
    expect(await matched()).toBe('');

    // Ctrl-F with the pointer over this graph opens its search (and only its).
    const helper = graph.locator('.frames g.f', { has: page.locator('title', { hasText: /^helper \(func\[4\]\)\n/ }) });
    await helper.hover();
    expect(await graph.locator('.details').textContent()).toMatch(/^helper \(func\[4\]\) — total [\d,]+ instructions \(\d+\.\d\d%\), self [\d,]+ instructions \(\d+\.\d\d%\), calls 120$/);
    page.once('dialog', (d) => void d.accept('helper'));
    await page.keyboard.press('Control+f');
    expect(await highlighted()).toEqual(['helper']);
    await graph.locator('.reset-search').click();

    const before = (await frames()).find((f) => f.name === 'helper')!.width;
    expect(before).toBeLessThan(1180 / 2);
    await helper.click();
    const zoomed = await frames();
    // helper spans the graph; its caller stays across it, faded; frames beside it are gone.
    expect(zoomed.map((f) => [f.name, f.cls, f.width])).toEqual([
      ['run', 'f a', 1180],
      ['helper', 'f', 1180],
    ]);
    await graph.locator('.reset-zoom').click();
    expect((await frames()).find((f) => f.name === 'helper')!.width).toBe(before);

    // The differential flamegraph (flame's too) draws the after run, each frame's change in its tooltip.
    const diff = page.locator('#diff-m0-diff svg.wsfg');
    expect(await diff.locator('.frames g.f').count()).toBe(FLAME_FRAMES.length);
    await diff.locator('.frames g.f', { has: page.locator('title', { hasText: /^helper \(func\[4\]\)\n/ }) }).hover();
    // Normalised (before scaled to after's total): helper's 180 instructions before become 364.9 of the after run's scale.
    expect(await diff.locator('.details').textContent()).toBe(
      'helper (func[4]) — before: total 364.9 instructions, self 364.9 instructions, after: total 360 instructions, self 360 instructions, self change: −4.9 instructions (−1.4%)',
    );
  });

  it('the memory panel shows the allocation tracker\'s leak site; the cache panel, sumColumnMajor\'s misses', async () => {
    // r1-m1: alloc.wasm, leak(10, 256) × 5 with the collector run after each call.
    const memory = '#r1-m1-memory';
    expect(await page.textContent(`${memory} ul.leaks`)).toBe(
      'leak keeps 2.5 KiB more live per call over 5 calls, from assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor (2.5 KiB/call); assembly/alloc/leak (48 B/call)',
    );
    const sites = await page.$$eval(`${memory} #r1-m1-sites-table tbody tr`, (rows) => rows.map((r) => [...r.cells].slice(0, 5).map((c) => c.textContent)));
    expect(sites[0]).toEqual(['assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor', '50', '12.5 KiB', '12.5 KiB', '12.5 KiB']);
    expect(await page.isVisible(`${memory} #r1-m1-memory-chart`)).toBe(true);

    // r1-m2: matrix.wasm; a 512 B row is 8 lines, so a column's 64 lines share one 2-way D1 set: all 4,096 loads miss D1, none LL.
    const cache = '#r1-m2-cache';
    const rows = await page.$$eval(`${cache} #r1-m2-cache-table tbody tr`, (trs) =>
      Object.fromEntries(trs.map((r) => [r.cells[0]!.querySelector('code')!.textContent, [...r.cells].slice(1).map((c) => c.textContent)])),
    );
    const column = rows['assembly/matrix/sumColumnMajor']!;
    // Dr, D1mr, DLmr, D1 miss (of reads and writes: each iteration also stores to one shadow-stack slot, always a hit), pattern.
    expect([column[0], column[2], column[4], column[6], column[8]]).toEqual(['4,096', '4,096', '0', '49.99 %', 'strided 512 B']);
    const row = rows['assembly/matrix/sumRowMajor']!;
    // One miss per 64 B line of the 32 KiB matrix: 512 lines, 513 when it starts mid-line.
    expect([row[0], row[8]]).toEqual(['4,096', 'sequential 8 B']);
    expect(['512', '513']).toContain(row[2]);
    // Sorting by D1 read misses puts the column walk first.
    await page.click(`${cache} #r1-m2-cache-table button.sort[data-col="3"]`);
    expect(await page.textContent(`${cache} #r1-m2-cache-table tbody tr:first-child code`)).toBe('assembly/matrix/sumColumnMajor');
  });

  it('shows hostile names as text and runs none of them; the policy refuses injected script', async () => {
    const state = await page.evaluate((names) => {
      // Markup text, and each flamegraph frame's name (the first line of its tooltip).
      const texts = [...document.querySelectorAll('code')].map((e) => e.textContent).concat([...document.querySelectorAll('svg.wsfg .frames g.f > title')].map((e) => e.textContent!.split('\n')[0]!.replace(/ \(func\[\d+\]\)$/, '')));
      return {
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        images: document.images.length,
        scripts: document.scripts.length,
        // SVG script elements are not in document.scripts: the flamegraphs' own (two runs and the differential).
        svgScripts: document.querySelectorAll('svg script').length,
        functionShown: texts.filter((t) => t === names[0]).length,
        scriptShown: texts.filter((t) => t === names[1]).length,
      };
    }, [HOSTILE_FUNCTION, HOSTILE_SCRIPT]);
    expect(state).toMatchObject({ pwned: undefined, images: 0, scripts: 2, svgScripts: 3 });
    expect(state.functionShown).toBeGreaterThanOrEqual(4); // top functions, finding, flamegraphs
    expect(state.scriptShown).toBeGreaterThanOrEqual(2);
    // Even script that got in would not run: the policy allows only the page's own, by hash.
    const before = problems.length;
    const injected = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = 1';
      document.body.appendChild(s);
      await new Promise((r) => setTimeout(r, 50));
      return (window as unknown as { __injected?: number }).__injected;
    });
    expect(injected).toBeUndefined();
    expect(problems.slice(before).join('\n')).toMatch(/Content Security Policy/);
  });

  it('renders a page that is not blank (screenshot saved)', async () => {
    const path = join(OUTPUT, 'report.png');
    const png = await page.screenshot({ path, fullPage: true });
    // The flamegraph panels close up, to look at (the full page shrinks them).
    await page.locator('#r1-m0-flamegraph').screenshot({ path: join(OUTPUT, 'report-flamegraph.png') });
    await page.locator('#diff-m0').screenshot({ path: join(OUTPUT, 'report-diff-flamegraph.png') });
    await page.locator('#r1-m1-memory').screenshot({ path: join(OUTPUT, 'report-memory.png') });
    await page.locator('#r1-m2-cache').screenshot({ path: join(OUTPUT, 'report-cache.png') });
    console.log(`screenshot: ${path} (close up: report-flamegraph.png, report-diff-flamegraph.png, report-memory.png, report-cache.png)`);
    // The browser decodes its own screenshot; count pixels that are neither white nor the panel grey.
    const check = await context.newPage();
    const inked = await check.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i]! < 200 || px[i + 1]! < 200 || px[i + 2]! < 200) ink++;
      return { ink, total: px.length / 4, height: img.height };
    }, png.toString('base64'));
    await check.close();
    expect(inked.height).toBeGreaterThan(2000);
    expect(inked.ink / inked.total).toBeGreaterThan(0.02);
  });
});
