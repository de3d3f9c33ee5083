import { describe, expect, it } from 'vitest';
import { CallTreeBuilder } from '../src/profiler/build/call-tree-builder.js';
import { filterTree, functionStats, mergeCallTrees, type CallTree } from '../src/profiler/model/call-tree.js';
import { cpuProfileSelfTimes, toCpuProfile } from '../src/profiler/export/cpuprofile.js';
import { fromFolded, toFolded } from '../src/profiler/export/folded.js';
import { fromPprof, toPprof } from '../src/profiler/export/pprof.js';
import { toSpeedscope } from '../src/profiler/export/speedscope.js';
import { renderFlamegraph } from '../src/profiler/render/flamegraph.js';
import { flameData } from './helpers/flame-data.js';

const NAMES = ['main', 'parse', 'eval', 'fib'];

/** main(0..100): parse(10..30), eval(40..90): fib(45..85): fib(50..80): fib(55..60) */
function sample(): CallTree {
  const b = new CallTreeBuilder(NAMES, 'instrumented', 'nanoseconds');
  b.enter(0, 0);
  b.enter(1, 10);
  b.exit(1, 30);
  b.enter(2, 40);
  b.enter(3, 45);
  b.enter(3, 50);
  b.enter(3, 55);
  b.exit(3, 60);
  b.exit(3, 80);
  b.exit(3, 85);
  b.exit(2, 90);
  b.exit(0, 100);
  return b.build();
}

/** A map of "a;b;c" → [calls, total, self] for compact assertions. */
function paths(tree: CallTree): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  const go = (node: CallTree['root'], prefix: string): void => {
    for (const c of node.children) {
      const key = prefix === '' ? c.name : `${prefix};${c.name}`;
      out[key] = [c.calls, c.total, c.self];
      go(c, key);
    }
  };
  go(tree.root, '');
  return out;
}

describe('call tree builder', () => {
  it('builds a path-sensitive tree with exact calls, totals and self times', () => {
    const tree = sample();
    expect(paths(tree)).toEqual({
      main: [1, 100, 30],
      'main;parse': [1, 20, 20],
      'main;eval': [1, 50, 10],
      'main;eval;fib': [1, 40, 10],
      'main;eval;fib;fib': [1, 30, 25],
      'main;eval;fib;fib;fib': [1, 5, 5],
    });
    expect(tree.root.total).toBe(100);
  });

  it('counts recursion once in function totals', () => {
    const fib = functionStats(sample()).find((f) => f.name === 'fib')!;
    expect(fib).toEqual({ name: 'fib', functionIndex: 3, calls: 3, total: 40, self: 40, average: 40 / 3, min: 5, max: 40 });
    expect(functionStats(sample()).map((f) => f.name)).toEqual(['fib', 'main', 'parse', 'eval']);
  });

  it('closes frames left open by a trap at the call boundary', () => {
    const b = new CallTreeBuilder(NAMES, 'instrumented', 'nanoseconds');
    b.enter(0, 0);
    b.enter(2, 10);
    b.enter(3, 20);
    b.unwind(50);
    expect(b.unwoundFrames).toBe(3);
    expect(b.depth).toBe(0);
    expect(paths(b.build())).toEqual({ main: [1, 50, 10], 'main;eval': [1, 40, 10], 'main;eval;fib': [1, 30, 30] });
    // The next call starts from the root again.
    b.enter(1, 60);
    b.exit(1, 70);
    expect(paths(b.build())['parse']).toEqual([1, 10, 10]);
  });

  it('reset keeps open frames but drops what was recorded', () => {
    const b = new CallTreeBuilder(NAMES, 'instrumented', 'nanoseconds');
    b.enter(0, 0);
    b.enter(1, 5);
    b.exit(1, 10);
    b.reset();
    b.enter(2, 20);
    b.exit(2, 30);
    b.exit(0, 40);
    expect(paths(b.build())).toEqual({ main: [1, 40, 30], 'main;eval': [1, 10, 10] });
  });

  it('merges trees path by path', () => {
    const merged = mergeCallTrees([sample(), sample()]);
    expect(paths(merged)['main;eval;fib;fib']).toEqual([2, 60, 50]);
    expect(merged.root.total).toBe(200);
    expect(JSON.parse(JSON.stringify(merged))).toEqual(JSON.parse(JSON.stringify(merged)));
    expect(() => mergeCallTrees([sample(), { ...sample(), unit: 'instructions' }])).toThrow(/cannot merge/);
  });

  it('focuses on and excludes frames by name', () => {
    const focused = filterTree(sample(), { focus: /^eval$/ });
    expect(Object.keys(paths(focused))).toEqual(['eval', 'eval;fib', 'eval;fib;fib', 'eval;fib;fib;fib']);
    expect(focused.root.total).toBe(50);
    const excluded = filterTree(sample(), { exclude: /^fib$/ });
    expect(paths(excluded)).toEqual({ main: [1, 100, 30], 'main;parse': [1, 20, 20], 'main;eval': [1, 50, 50] });
  });
});

describe('exports re-import with the same totals', () => {
  it('folded stacks', () => {
    const text = toFolded(sample());
    expect(text).toBe(
      ['main 30', 'main;parse 20', 'main;eval 10', 'main;eval;fib 10', 'main;eval;fib;fib 25', 'main;eval;fib;fib;fib 5', ''].join('\n'),
    );
    const back = fromFolded(text);
    const selfOnly = (t: CallTree) => Object.fromEntries(Object.entries(paths(t)).map(([k, v]) => [k, [v[1], v[2]]]));
    expect(selfOnly(back)).toEqual(selfOnly(sample()));
    expect(toFolded(fromFolded('a;b 1\n'))).toBe('a;b 1\n');
    expect(() => fromFolded('no weight here')).toThrow(SyntaxError);
  });

  it('folded stacks keep one stack per line whatever the names', () => {
    const b = new CallTreeBuilder(['a;b', 'line\nbreak'], 'instrumented', 'nanoseconds');
    b.enter(0, 0);
    b.enter(1, 1);
    b.exit(1, 3);
    b.exit(0, 4);
    expect(toFolded(b.build())).toBe('a:b 2\na:b;line break 2\n');
  });

  it('speedscope: evented for instrumented modes, balanced, ending at the total', () => {
    const file = toSpeedscope(sample(), 'sample');
    const profile = file.profiles[0]!;
    expect(profile.type).toBe('evented');
    if (profile.type !== 'evented') return;
    expect(profile.endValue).toBe(100);
    const depth: number[] = [];
    for (const event of profile.events) {
      if (event.type === 'O') depth.push(event.frame);
      else expect(depth.pop()).toBe(event.frame);
    }
    expect(depth).toEqual([]);
    expect(profile.events[profile.events.length - 1]!.at).toBe(100);
    // Self time per frame recomputed from the events equals the tree's.
    const self = new Map<string, number>();
    const stack: { frame: number; at: number; child: number }[] = [];
    for (const event of profile.events) {
      if (event.type === 'O') stack.push({ frame: event.frame, at: event.at, child: 0 });
      else {
        const open = stack.pop()!;
        const span = event.at - open.at;
        const name = file.shared.frames[open.frame]!.name;
        self.set(name, (self.get(name) ?? 0) + span - open.child);
        if (stack.length > 0) stack[stack.length - 1]!.child += span;
      }
    }
    expect(Object.fromEntries(self)).toEqual({ main: 30, parse: 20, eval: 10, fib: 40 });
  });

  it('speedscope: sampled for the sampling mode, weights summing to the total', () => {
    const sampled = { ...fromFolded('main;work 30\nmain 10\n'), sampleIntervalNs: 100_000 };
    const file = toSpeedscope(sampled, 'sampled');
    const profile = file.profiles[0]!;
    expect(profile.type).toBe('sampled');
    if (profile.type !== 'sampled') return;
    expect(profile.weights.reduce((a, b) => a + b, 0)).toBe(40);
    expect(profile.samples.map((s) => s.map((i) => file.shared.frames[i]!.name).join(';'))).toEqual(['main', 'main;work']);
  });

  it('Chrome .cpuprofile: a reader recomputes the same self times', () => {
    const profile = toCpuProfile(sample());
    expect(profile.endTime).toBeCloseTo(0.1, 9); // 100 ns in µs
    const self = cpuProfileSelfTimes(profile);
    // Keyed name@index: the function index travels in columnNumber.
    expect([...self.entries()].map(([k, v]) => [k, Math.round(v * 1000)])).toEqual([
      ['main@0', 30],
      ['parse@1', 20],
      ['eval@2', 10],
      ['fib@3', 40],
    ]);
    // Node ids are unique and every child id exists.
    const ids = new Set(profile.nodes.map((n) => n.id));
    expect(ids.size).toBe(profile.nodes.length);
    for (const node of profile.nodes) for (const child of node.children) expect(ids.has(child)).toBe(true);
  });

  it('gzipped pprof decodes back to the same tree', () => {
    const bytes = toPprof(sample());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]); // gzip
    const back = fromPprof(bytes, { mode: 'instrumented', unit: 'nanoseconds' });
    const selfOnly = (t: CallTree) => Object.fromEntries(Object.entries(paths(t)).map(([k, v]) => [k, [v[1], v[2]]]));
    expect(selfOnly(back)).toEqual(selfOnly(sample()));
  });
});

describe('flamegraph', () => {
  it('escapes hostile function names everywhere', () => {
    const names = ['<script>alert(1)</script>', '"><svg onload=alert(1)>', ']]></script><script>alert(2)//', 'ok & fine'];
    const b = new CallTreeBuilder(names, 'instrumented', 'nanoseconds');
    b.enter(0, 0);
    b.enter(1, 10);
    b.enter(2, 20);
    b.exit(2, 30);
    b.exit(1, 40);
    b.enter(3, 50);
    b.exit(3, 90);
    b.exit(0, 100);
    const svg = renderFlamegraph(b.build(), { title: '<b>title</b>' });
    expect(svg.match(/<script/g)).toHaveLength(1); // ours only
    expect(svg.match(/\]\]>/g)).toHaveLength(1); // our CDATA end only
    expect(svg).not.toContain('<svg onload');
    expect(svg).not.toContain('<b>title');
    expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; (func[0])\n');
    expect(svg).toContain('<title>&quot;&gt;&lt;svg onload=alert(1)&gt; (func[1])\n');
    expect(svg).toContain('ok &amp; fine');
    expect(svg).not.toMatch(/<[a-z]+\b[^>]*\son[a-z]+=/i); // no event-handler attributes (a CSP forbids them)
    // The embedded data is JSON with <, > and & escaped as \\u sequences.
    const data = /\nvar D = (\{.*?\}), ID = /.exec(svg)![1]!;
    expect(data).not.toMatch(/[<>&]/);
    expect(flameData(svg).frames.map((f) => f.name)).toEqual(names);
  });

  it('has the interactive parts: hover details, zoom, reset, search with share, icicle', () => {
    const svg = renderFlamegraph(sample());
    for (const part of ['class="details"', 'class="button reset-zoom hide"', 'class="button search"', 'class="button reset-search hide"', 'class="button case"', 'class="matched"', "addEventListener('click'", 'Matched: ']) expect(svg).toContain(part);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing fetched from the network
    const flame = renderFlamegraph(sample());
    const icicle = renderFlamegraph(sample(), { icicle: true });
    const firstY = (s: string) => Number(/<rect x="[\d.]+" y="(\d+)"/.exec(s.slice(s.indexOf('<g class="frames">')))![1]);
    expect(firstY(icicle)).toBeLessThan(firstY(flame)); // main on top in the icicle, at the bottom in the flame
  });

  it('shortens a long title to fit between the buttons, whole in its tooltip', () => {
    const long = `module ${'m'.repeat(100)}.wasm run(1, 2)`;
    const svg = renderFlamegraph(sample(), { title: long });
    expect(svg).toContain(`<text x="600" y="24" class="title">module ${'m'.repeat(60)}..<title>${long}</title></text>`);
  });

  it('says "(1 narrow frame)", and draws a lone narrow frame as itself', () => {
    // maxFrames 2 keeps main and big; the one frame left out is merged alone.
    const svg = renderFlamegraph(fromFolded('main;big 100000\nmain;tiny 1\n'), { maxFrames: 2 });
    expect(svg).toContain('<title>(1 narrow frame)\ntotal 1 sample (0.00%)\ntoo small to keep in this file</title>');
    const all = renderFlamegraph(fromFolded('main;big 100000\nmain;tiny 1\n'));
    expect(all).toContain('<title>tiny\ntotal 1 sample (0.00%)');
    expect(all).not.toMatch(/<title>\(\d+ narrow/);
  });

  it('stays small for a 50,000-function profile by merging frames too narrow to see', () => {
    const names = Array.from({ length: 50_001 }, (_, i) => (i === 0 ? 'main' : `function_${i}_with_a_long_mangled_name`));
    const b = new CallTreeBuilder(names, 'instrumented', 'nanoseconds');
    let t = 0;
    b.enter(0, t);
    for (let i = 1; i <= 50_000; i++) {
      b.enter(i, t);
      t += i % 100 === 0 ? 5000 : 10; // a few wide, many narrow
      b.exit(i, t);
    }
    b.exit(0, t);
    const svg = renderFlamegraph(b.build());
    expect(svg.length).toBeLessThan(3 * 1024 * 1024);
    expect(svg).toMatch(/\(\d+ narrow frames\)/);
    // Every function is still in the file (its script lays narrow frames out again on zoom)
    // up to maxFrames; the rest are merged entries that count what they stand for.
    const { frames } = flameData(svg);
    expect(frames.filter((f) => f.hidden === 0)).toHaveLength(20_000);
    // main, the 500 wide ones, then the first 19,499 narrow ones (up to function_19695): each
    // run of narrow ones left out between two wide ones is one merged entry, 4 + 303 × 99 frames.
    const merged = frames.filter((f) => f.hidden > 0);
    expect(merged.map((f) => f.hidden)).toEqual([4, ...Array<number>(303).fill(99)]);
    expect(frames.reduce((n, f) => n + Math.max(f.hidden, f.name === undefined ? 0 : 1), 0)).toBe(50_001);
  });
});
