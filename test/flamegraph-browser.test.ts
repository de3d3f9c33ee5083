/**
 * The flamegraph as a user meets it: the SVG file opened in headless Chromium (Debian's, through
 * playwright-core), clicked, hovered, searched; and the same SVG inline in an HTML page under a
 * strict Content-Security-Policy, twice on one page.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFolded } from '../src/profiler/export/folded.js';
import { walkTree, type CallTree } from '../src/profiler/model/call-tree.js';
import { renderDiffFlamegraph } from '../src/profiler/render/diff-flamegraph.js';
import { inlineFlamegraph, renderFlamegraph } from '../src/profiler/render/flamegraph.js';
import { launchChromium, type Chromium } from './helpers/chromium-page.js';

const LEAVES = 300;

/** 107,000 ns: main's `big` takes most; `work` holds 300 leaves of 5 ns (0.055 px each at full width). */
function profile(): CallTree {
  const lines = ['main;big 100000', 'main 500'];
  for (let i = 0; i < LEAVES; i++) lines.push(`main;work;leaf_${i} 5`);
  lines.push('main;work;Hash_Update 3000', 'main;work;hash_final 2000');
  const tree = fromFolded(lines.join('\n'), 'instrumented', 'nanoseconds');
  walkTree(tree, (node) => (node.calls = 2));
  return tree;
}

let browser: Chromium;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flame-browser-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, text: string): Promise<Page> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href);
  (page as Page & { errors?: string[] }).errors = errors;
  return page;
}

const errorsOf = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

/** The drawn boxes of the (first) graph: first tooltip line, classes, fill. */
function boxes(page: Page, graph = 0): Promise<{ name: string; title: string; cls: string; fill: string; opacity: string; width: number }[]> {
  return page.evaluate((graph) => {
    const svg = document.querySelectorAll('svg.wsfg')[graph]!;
    return [...svg.querySelectorAll('.frames g.f')].map((g) => {
      const rect = g.querySelector('rect')!;
      const title = g.querySelector('title')!.textContent!;
      return { name: title.split('\n')[0]!, title, cls: g.getAttribute('class')!, fill: rect.getAttribute('fill')!, opacity: getComputedStyle(rect).opacity, width: Number(rect.getAttribute('width')) };
    });
  }, graph);
}

function box(page: Page, name: string, graph = 0) {
  return page.locator('svg.wsfg').nth(graph).locator('.frames g.f', { has: page.locator('title', { hasText: new RegExp(`^${name.replace(/[()]/g, '\\$&')}\\n`) }) });
}

const shown = (page: Page, cls: string, graph = 0): Promise<boolean> =>
  page.locator('svg.wsfg').nth(graph).locator(`.${cls}`).evaluate((e) => getComputedStyle(e).display !== 'none');
const text = (page: Page, cls: string, graph = 0): Promise<string> => page.locator('svg.wsfg').nth(graph).locator(`.${cls}`).evaluate((e) => e.textContent ?? '');

describe('flamegraph in Chromium', () => {
  it('zoom fades the ancestors, lays narrow frames out again, shows Reset zoom only when zoomed', async () => {
    const page = await open('zoom.svg', renderFlamegraph(profile()));
    const initial = await page.evaluate(() => [...document.querySelectorAll('.frames g.f')].map((g) => g.outerHTML));
    const first = await boxes(page);
    expect(first.map((b) => b.name)).toEqual(['main', 'big', 'work', `(${LEAVES} narrow frames)`, 'Hash_Update', 'hash_final']);
    expect(await shown(page, 'reset-zoom')).toBe(false);

    await box(page, 'work').click();
    const zoomed = await boxes(page);
    expect(zoomed).toHaveLength(3 + LEAVES + 1); // main (faded), work, every leaf, Hash_Update, hash_final
    expect(zoomed.filter((b) => b.name.startsWith('leaf_'))).toHaveLength(LEAVES);
    expect(zoomed.some((b) => b.name.includes('narrow'))).toBe(false);
    expect(zoomed.find((b) => b.name === 'main')).toMatchObject({ cls: 'f a', opacity: '0.5', width: 1180 });
    expect(zoomed.find((b) => b.name === 'work')).toMatchObject({ cls: 'f', opacity: '1', width: 1180 });
    expect(zoomed.some((b) => b.name === 'big')).toBe(false);
    expect(await shown(page, 'reset-zoom')).toBe(true);

    await page.locator('.reset-zoom').click();
    expect(await shown(page, 'reset-zoom')).toBe(false);
    // The page's own drawing of the full view is the file's, to the character.
    expect(await page.evaluate(() => [...document.querySelectorAll('.frames g.f')].map((g) => g.outerHTML))).toEqual(initial);

    // A merged box zooms into its span: the frames it stood for, their parent faded.
    await box(page, `(${LEAVES} narrow frames)`).click();
    const span = await boxes(page);
    expect(span.filter((b) => b.name.startsWith('leaf_'))).toHaveLength(LEAVES);
    expect(span.filter((b) => b.cls === 'f a').map((b) => b.name)).toEqual(['main', 'work']);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('the page draws the icicle, the sampled and the differential views as their files do, after a zoom and a reset', async () => {
    const sampled = { ...fromFolded('run;hash 792\nrun 75\nrun;hash;(host) 3\n'), sampleIntervalNs: 250_000 };
    const files = {
      'icicle.svg': [renderFlamegraph(profile(), { icicle: true, width: 900 }), 'work'],
      'sampled-view.svg': [renderFlamegraph(sampled), 'hash'],
      'diff.svg': [renderDiffFlamegraph(fromFolded('a;b 10\na;gone 4\na 5\n'), fromFolded('a;b 30\na 5\n'), { normalize: true }), 'b'],
      'diff-reverse.svg': [renderDiffFlamegraph(fromFolded('a;b 10\na;gone 4\na 5\n'), fromFolded('a;b 30\na 5\n'), { reverse: true }), 'gone'],
    } as const;
    for (const [name, [svg, target]] of Object.entries(files)) {
      const page = await open(name, svg);
      const drawn = () => page.evaluate(() => [...document.querySelectorAll('.frames g.f')].map((g) => g.outerHTML));
      const initial = await drawn();
      await box(page, target).click();
      expect(await drawn()).not.toEqual(initial);
      await page.locator('.reset-zoom').click();
      expect(await drawn(), name).toEqual(initial);
      expect(errorsOf(page)).toEqual([]);
      await page.close();
    }
  });

  it('hover: the details line and the native tooltip give name, total, self with units, share and calls', async () => {
    const tree = fromFolded('main;hash 861800\nmain 38200\n', 'instrumented', 'nanoseconds');
    walkTree(tree, (node) => (node.calls = node.name === 'main' ? 1 : 3));
    const page = await open('hover.svg', renderFlamegraph(tree));
    await box(page, 'hash').hover();
    expect(await text(page, 'details')).toBe('hash — total 861.8 µs (95.76%), self 861.8 µs (95.76%), calls 3');
    expect((await boxes(page)).find((b) => b.name === 'main')!.title).toBe('main\ntotal 900.0 µs (100.00%)\nself 38.2 µs (4.24%)\ncalls 1');
    await page.mouse.move(1, 1);
    expect(await text(page, 'details')).toBe(' ');

    const sampled = { ...fromFolded('run;hash 792\nrun 75\n'), sampleIntervalNs: 250_000 };
    const page2 = await open('sampled.svg', renderFlamegraph(sampled));
    await box(page2, 'hash').hover();
    expect(await text(page2, 'details')).toBe('hash — total 792 samples ≈ 198.0 ms (91.35%), self 792 samples ≈ 198.0 ms (91.35%), calls —');
    await page.close();
    await page2.close();
  });

  it('search: highlight and share, case toggle, Ctrl-F, cancel keeps the highlight, reset', async () => {
    const page = await open('search.svg', renderFlamegraph(profile()));
    const highlighted = async () => (await boxes(page)).filter((b) => b.fill === 'rgb(230,0,230)').map((b) => b.name);
    expect(await shown(page, 'reset-search')).toBe(false);

    page.once('dialog', (d) => void d.accept('hash'));
    await page.locator('.search').click();
    expect(await highlighted()).toEqual(['hash_final']); // case-sensitive by default
    expect(await text(page, 'matched')).toBe('Matched: 1.9%'); // 2,000 of 107,000 ns
    expect(await shown(page, 'reset-search')).toBe(true);

    await page.locator('.case').click(); // ignore case: the search runs again
    expect(await highlighted()).toEqual(['Hash_Update', 'hash_final']);
    expect(await text(page, 'matched')).toBe('Matched: 4.7%');

    // Ctrl-F opens the prompt, prefilled with the current term; cancelling keeps everything.
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.defaultValue();
      void d.dismiss();
    });
    await page.keyboard.press('Control+f');
    expect(asked).toBe('hash');
    expect(await highlighted()).toEqual(['Hash_Update', 'hash_final']);
    expect(await text(page, 'matched')).toBe('Matched: 4.7%');

    // Matches stay highlighted after a zoom redraws the frames; a merged box holding one is too.
    page.once('dialog', (d) => void d.accept('leaf_1[0-9]'));
    await page.keyboard.press('F3');
    expect(await highlighted()).toEqual([`(${LEAVES} narrow frames)`]);
    expect(await text(page, 'matched')).toBe('Matched: 0.5%'); // leaf_10..19, leaf_100..199: 550 of 107,000 ns
    await box(page, 'work').click();
    expect(await highlighted()).toHaveLength(110);
    expect(await text(page, 'matched')).toBe('Matched: 0.5% (8.5% of this zoom)'); // 550 of 107,000 ns; of work's 6,500

    // Ctrl-I toggles case as the "ic" button does (flamegraph.pl's keys); "ic" is still on here.
    page.once('dialog', (d) => void d.accept('HASH_'));
    await page.keyboard.press('Control+f');
    expect(await highlighted()).toEqual(['Hash_Update', 'hash_final']);
    await page.keyboard.press('Control+i');
    expect(await highlighted()).toEqual([]);
    expect(await text(page, 'matched')).toBe('Matched: 0.0% (0.0% of this zoom)');

    await page.locator('.reset-search').click();
    expect(await highlighted()).toEqual([]);
    expect(await text(page, 'matched')).toBe('');
    expect(await shown(page, 'reset-search')).toBe(false);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('inline in an HTML page under a strict CSP (hashes only), two graphs side by side, each its own', async () => {
    const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    const one = inlineFlamegraph(renderFlamegraph(profile()));
    const two = inlineFlamegraph(renderDiffFlamegraph(fromFolded('a;b 10\na 5\n'), fromFolded('a;b 30\na 5\n')));
    expect(two.style).toBe(one.style);
    const csp = `default-src 'none'; script-src ${sha(one.script)} ${sha(two.script)}; style-src ${sha(one.style)}`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><title>report</title></head><body>\n${one.markup}\n${two.markup}\n</body></html>`;
    const page = await open('report.html', html);
    await box(page, 'work', 0).click();
    expect(await shown(page, 'reset-zoom', 0)).toBe(true);
    expect(await shown(page, 'reset-zoom', 1)).toBe(false);
    await box(page, 'b', 1).hover();
    expect(await text(page, 'details', 1)).toBe('b — before: total 10 samples, self 10 samples, after: total 30 samples, self 30 samples, self change: +20 samples (+200.0%)');
    expect(await text(page, 'details', 0)).toBe(' ');
    // The page's own styles still apply: the graph's CSS is scoped to its svg.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('svg.wsfg .frames text')!).fontSize)).toBe('12px');
    // Ctrl-F belongs to the page unless the pointer is over a graph; then to that graph only.
    let prompts = 0;
    page.on('dialog', (d) => {
      prompts++;
      void d.accept('b');
    });
    await page.mouse.move(5, 5);
    await page.keyboard.press('Control+f');
    expect(prompts).toBe(0);
    await box(page, 'a', 1).hover();
    await page.keyboard.press('Control+f');
    expect(prompts).toBe(1);
    expect(await text(page, 'matched', 1)).toBe('Matched: 85.7%'); // b: 30 of 35
    expect(await text(page, 'matched', 0)).toBe('');
    expect(errorsOf(page).filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });
});
