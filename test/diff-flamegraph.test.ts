import { describe, expect, it } from 'vitest';
import { fromFolded } from '../src/profiler/export/folded.js';
import { diffCallTrees, diffColour, renderDiffFlamegraph } from '../src/profiler/render/diff-flamegraph.js';
import { flameData } from './helpers/flame-data.js';

const BEFORE = 'main;parse 20\nmain;eval;fib 10\nmain 30\nmain;gone 5\n';
const AFTER = 'main;parse 10\nmain;eval;fib 40\nmain 30\nmain;new 7\n';

/** name → [width, self after, self before, total after, total before] of the embedded frames. */
function frames(svg: string): Record<string, number[]> {
  return Object.fromEntries(flameData(svg).frames.map((f) => [f.name!, [f.width, ...f.values]]));
}

describe('differential flamegraph', () => {
  it('widths from after, before/after/delta in the data and tooltip, colour by the change of self', () => {
    const svg = renderDiffFlamegraph(fromFolded(BEFORE), fromFolded(AFTER));
    expect(frames(svg)).toEqual({
      main: [87, 30, 30, 87, 65],
      parse: [10, 10, 20, 10, 20],
      eval: [40, 0, 0, 40, 10],
      fib: [40, 40, 10, 40, 10],
      new: [7, 7, 0, 7, 0],
    }); // "gone" has no width after: not drawn here
    expect(renderDiffFlamegraph(BEFORE, AFTER)).toBe(svg); // folded text as it is
    expect(svg).toContain('<title>fib\nbefore: total 10 samples, self 10 samples\nafter: total 40 samples, self 40 samples\nself change: +30 samples (+300.0%)</title>');
    expect(svg).toContain('<title>new\nbefore: total 0 samples, self 0 samples\nafter: total 7 samples, self 7 samples\nself change: +7 samples (new)</title>');
    // Largest change is fib's +30: full red; parse −10: a third as saturated blue; eval, main unchanged.
    const fill = (name: string) => new RegExp(`<title>${name}\\n[^<]*</title><rect [^>]*fill="([^"]+)"`).exec(svg)![1];
    expect(fill('fib')).toBe('rgb(255,0,0)');
    expect(fill('parse')).toBe(diffColour(-10 / 30));
    expect(fill('parse')).toBe('rgb(140,140,255)'); // as flamegraph.pl colours it from difffolded.pl's output
    expect(fill('new')).toBe('rgb(255,161,161)');
    expect(fill('main')).toBe('rgb(225,225,225)');
    expect(fill('eval')).toBe('rgb(225,225,225)');
  });

  it('the reverse view takes widths from before, so vanished frames show', () => {
    const svg = renderDiffFlamegraph(fromFolded(BEFORE), fromFolded(AFTER), { reverse: true });
    const f = frames(svg);
    expect(Object.keys(f)).toEqual(['main', 'parse', 'eval', 'fib', 'gone']);
    expect(f['gone']).toEqual([5, 0, 5, 0, 5]);
    expect(svg).toContain('self change: −5 samples (−100.0%)');
  });

  it('normalising scales before to after\'s total', () => {
    const diff = diffCallTrees(fromFolded('a 10\nb 10\n'), fromFolded('a 20\nb 60\n'), { normalize: true });
    expect(diff.beforeScale).toBe(4);
    expect(diff.roots.map((n) => [n.name, n.before.self, n.after.self])).toEqual([
      ['a', 40, 20],
      ['b', 40, 60],
    ]);
    const svg = renderDiffFlamegraph(fromFolded('a 10\nb 10\n'), fromFolded('a 20\nb 60\n'), { normalize: true });
    expect(svg).toContain('before scaled ×4.000 to after&#39;s total');
    expect(svg).toContain('self change: −20 samples (−50.0%)');
  });

  it('escapes names as the flamegraph does and refuses trees of two units', () => {
    const hostile = '<script>alert(1)</script>\x1b[2J';
    const svg = renderDiffFlamegraph(fromFolded(`${hostile} 1\n`), fromFolded(`${hostile} 2\n`));
    expect(svg.match(/<script/g)).toHaveLength(1);
    expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J\nbefore');
    expect(() => diffCallTrees(fromFolded('a 1\n'), fromFolded('a 1\n', 'instrumented', 'nanoseconds'))).toThrow(RangeError);
  });
});
