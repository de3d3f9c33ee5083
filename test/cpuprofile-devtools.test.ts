/**
 * The `.cpuprofile` read by Chrome DevTools' own profile model (CPUProfileDataModel from
 * `@paulirish/trace_engine`, DevTools' trace engine as published): its tables take a node's
 * self time from `hitCount` (self = hitCount × duration / Σ hitCount), its flame chart from the
 * samples and their time deltas. Both must give every node its exact self time.
 */
import { CPUProfileDataModel } from '@paulirish/trace_engine/models/cpu_profile/cpu_profile.js';
import { describe, expect, it } from 'vitest';
import { toCpuProfile } from '../src/profiler/export/cpuprofile.js';
import { fromFolded } from '../src/profiler/export/folded.js';
import type { CallTree } from '../src/profiler/model/call-tree.js';

interface ReadNode {
  readonly name: string;
  readonly self: number;
  readonly total: number;
}

/** DevTools' table view (top-down) as paths → [self ms, total ms], and the flame chart's self ms per path. */
function readWithDevTools(tree: CallTree): { table: Record<string, [number, number]>; timeline: Record<string, number>; samples: number } {
  // The model edits what it is given: hand it a copy, as DevTools does after JSON.parse.
  const model = new CPUProfileDataModel.CPUProfileDataModel(JSON.parse(JSON.stringify(toCpuProfile(tree))));
  const table: Record<string, [number, number]> = {};
  const pathOf = new Map<number, string>();
  const go = (node: { callFrame: { functionName: string }; self: number; total: number; id?: number; children: unknown[] }, prefix: string): void => {
    for (const child of node.children as (typeof node)[]) {
      const path = prefix === '' ? child.callFrame.functionName : `${prefix};${child.callFrame.functionName}`;
      table[path] = [round(child.self), round(child.total)];
      pathOf.set(child.id!, path);
      go(child, path);
    }
  };
  go(model.profileHead as never, '');
  const timeline: Record<string, number> = {};
  const samples = model.samples!;
  const times = model.timestamps;
  for (let i = 0; i + 1 < samples.length; i++) {
    const path = pathOf.get(samples[i]!);
    if (path !== undefined) timeline[path] = round((timeline[path] ?? 0) + times[i + 1]! - times[i]!);
  }
  return { table, timeline, samples: samples.length };
}

const round = (ms: number): number => Math.round(ms * 1e9) / 1e9;

describe('.cpuprofile read by DevTools\' profile model', () => {
  it('a function with ≈100 % self time shows it (not one hit per node)', () => {
    const tree = fromFolded('main 1000\nmain;hot 999000\n', 'instrumented', 'nanoseconds');
    const { table, timeline } = readWithDevTools(tree);
    expect(table).toEqual({ main: [0.001, 1], 'main;hot': [0.999, 0.999] }); // ms
    expect(timeline).toEqual({ main: 0.001, 'main;hot': 0.999 });
  });

  it('sampling mode: every sample kept (792 stay 792), each one interval long', () => {
    const tree: CallTree = { ...fromFolded('run 75\nrun;hash 792\nrun;hash;(host) 3\n'), sampleIntervalNs: 250_000 };
    const { table, timeline, samples } = readWithDevTools(tree);
    expect(samples).toBe(75 + 792 + 3 + 1); // + the root sample closing the last gap
    expect(table).toEqual({ run: [18.75, 217.5], 'run;hash': [198, 198.75], 'run;hash;(host)': [0.75, 0.75] });
    expect(timeline).toEqual({ run: 18.75, 'run;hash': 198, 'run;hash;(host)': 0.75 });
  });

  it('instructions are written one per microsecond; fractional nanoseconds round to whole hits', () => {
    const counted = fromFolded('a 3\na;b 5\n', 'instructions', 'instructions');
    expect(readWithDevTools(counted).table).toEqual({ a: [0.003, 0.008], 'a;b': [0.005, 0.005] });
    const measured = fromFolded('a 1\na;b 2\n', 'instrumented', 'nanoseconds');
    measured.root.children[0]!.self = 1000.4;
    measured.root.children[0]!.children[0]!.self = 2999.6;
    expect(readWithDevTools(measured).table).toEqual({ a: [0.001, 0.004], 'a;b': [0.003, 0.003] });
  });
});
