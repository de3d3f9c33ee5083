/**
 * The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core.
 * The page is generated from real profiles (hostile function names included), written to
 * disk and opened from there, as a user would. Checks: no console errors and no request but
 * the file itself; the findings count equals the embedded JSON; a column sort reorders rows;
 * flamegraph search highlights and click zooms; no name executes anything; an injected inline
 * script is refused by the page's policy; the screenshot is not blank.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_SCHEMA, renderHtmlReport, type BenchFile } from '../src/index.js';
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
const OUTPUT = fileURLToPath(new URL('../test-output/report/', import.meta.url));

let context: BrowserContext;
let page: Page;
let profileDir: string;
const problems: string[] = [];
const requests: string[] = [];
let reportUrl: string;

beforeAll(async () => {
  const before = { ...(await namesRun('before.json', 20, 10)), bench: [benchFile([30, 31, 29, 30, 32, 31, 30, 29])] };
  const after = { ...(await namesRun('after.json', 40, 40)), bench: [benchFile([20, 21, 19, 20, 22, 21, 20, 19])] };
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

  it('highlights the frames a flamegraph search matches, and zooms on click', async () => {
    const flame = '#r1-m0-flame';
    await page.fill('#r1-m0-flamegraph .flame-search', 'helper');
    const matched = await page.$$eval(`${flame} .frame.match`, (frames) => frames.map((f) => f.textContent));
    expect(matched).toEqual(['helper']);
    expect(await page.textContent('#r1-m0-flamegraph .flame-status')).toMatch(/^1 frame match, \d+\.\d % of the total$/);
    await page.fill('#r1-m0-flamegraph .flame-search', '/^(run|helper)$/');
    expect(await page.$$eval(`${flame} .frame.match`, (frames) => frames.map((f) => f.textContent).sort())).toEqual(['helper', 'run']);
    await page.fill('#r1-m0-flamegraph .flame-search', '');
    expect(await page.$$eval(`${flame} .frame.match`, (frames) => frames.length)).toBe(0);

    const widths = (): Promise<Record<string, number>> =>
      page.$$eval(`${flame} .frame`, (frames) => Object.fromEntries(frames.map((f) => [f.textContent ?? '', f.getBoundingClientRect().width])));
    const full = (await page.$eval(flame, (el) => el.clientWidth)) - 1;
    expect((await widths()).helper).toBeLessThan(full / 2);
    await page.click(`${flame} .frame:text-is("helper")`);
    expect((await widths()).helper).toBeGreaterThanOrEqual(full - 1);
    // Its caller spans the view too, faded; frames beside it are gone.
    expect(await page.$$eval(`${flame} .frame.ancestor`, (frames) => frames.map((f) => f.textContent))).toEqual(['run']);
    expect(await page.$$eval(`${flame} .frame`, (frames) => frames.map((f) => f.textContent))).toEqual(['run', 'helper']);
    await page.click('#r1-m0-flamegraph .flame-reset');
    expect((await widths()).helper).toBeLessThan(full / 2);
    // The differential flamegraph draws the after run, coloured by change.
    expect(await page.$$eval('#diff-m0-diff .frame', (frames) => frames.length)).toBeGreaterThanOrEqual(3);
  });

  it('shows hostile names as text and runs none of them; the policy refuses injected script', async () => {
    const state = await page.evaluate((names) => {
      const texts = [...document.querySelectorAll('code, .frame')].map((e) => e.textContent);
      return {
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        images: document.images.length,
        scripts: document.scripts.length,
        functionShown: texts.filter((t) => t === names[0]).length,
        scriptShown: texts.filter((t) => t === names[1]).length,
      };
    }, [HOSTILE_FUNCTION, HOSTILE_SCRIPT]);
    expect(state).toMatchObject({ pwned: undefined, images: 0, scripts: 2 });
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
    console.log(`screenshot: ${path}`);
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
