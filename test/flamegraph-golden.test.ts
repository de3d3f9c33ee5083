/**
 * Golden files for the flamegraph SVGs (as inferno keeps them): each case's file is compared to
 * the character. After a deliberate change, rewrite them with `UPDATE_GOLDEN=1 npx vitest run
 * test/flamegraph-golden.test.ts`, and look at the diff (and the files in Chromium) before committing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CallTreeBuilder } from '../src/profiler/build/call-tree-builder.js';
import { fromFolded } from '../src/profiler/export/folded.js';
import type { CallTree } from '../src/profiler/model/call-tree.js';
import { renderDiffFlamegraph } from '../src/profiler/render/diff-flamegraph.js';
import { renderFlamegraph } from '../src/profiler/render/flamegraph.js';

/** main(0..100): parse(10..30), eval(40..90): fib(45..85): fib(50..80): fib(55..60), in µs. */
function instrumented(): CallTree {
  const b = new CallTreeBuilder(['main', 'parse', 'eval', 'fib'], 'instrumented', 'nanoseconds');
  const events: [0 | 1, number, number][] = [[0, 0, 0], [0, 1, 10], [1, 1, 30], [0, 2, 40], [0, 3, 45], [0, 3, 50], [0, 3, 55], [1, 3, 60], [1, 3, 80], [1, 3, 85], [1, 2, 90], [1, 0, 100]];
  for (const [exit, fn, us] of events) (exit === 0 ? b.enter : b.exit).call(b, fn, us * 1000);
  return b.build();
}

function sampled(): CallTree {
  const tree = fromFolded('run;hash;(host) 3\nrun;hash 792\nrun 75\nblock 311\n');
  return { ...tree, sampleIntervalNs: 250_000, notes: ['sampled by V8 (a note)', '311 of 1181 guest samples (26.3%) lost their callers'] };
}

/** 200 leaves under one parent, too narrow to draw one by one, and names that need escaping. */
function narrowAndHostile(): CallTree {
  const lines = ['main;wide 100000', 'main;<script>alert(1)</script>;"quoted" & \'single\' 3000'];
  for (let i = 0; i < 200; i++) lines.push(`main;many;leaf_${i} 4`);
  return fromFolded(lines.join('\n'), 'instructions', 'instructions');
}

const BEFORE = fromFolded('main;parse 20\nmain;eval;fib 10\nmain 30\nmain;gone 5\n');
const AFTER = fromFolded('main;parse 10\nmain;eval;fib 40\nmain 30\nmain;new 7\n');

const CASES: Record<string, () => string> = {
  'flamegraph-instrumented': () => renderFlamegraph(instrumented(), { title: 'instrumented' }),
  'flamegraph-icicle': () => renderFlamegraph(instrumented(), { title: 'icicle', icicle: true, width: 600 }),
  'flamegraph-sampled': () => renderFlamegraph(sampled()),
  'flamegraph-narrow-hostile': () => renderFlamegraph(narrowAndHostile(), { title: '<b>title</b>' }),
  'diff-flamegraph': () => renderDiffFlamegraph(BEFORE, AFTER),
  'diff-flamegraph-reverse-normalized': () => renderDiffFlamegraph(BEFORE, AFTER, { reverse: true, normalize: true }),
};

describe('flamegraph golden files', () => {
  for (const [name, render] of Object.entries(CASES)) {
    it(name, () => {
      const file = new URL(`./golden/${name}.svg`, import.meta.url);
      const svg = render();
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, svg);
      expect(existsSync(file), `test/golden/${name}.svg is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(svg).toBe(readFileSync(file, 'utf8'));
    });
  }
});
