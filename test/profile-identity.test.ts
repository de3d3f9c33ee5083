/**
 * Functions are keyed by index, not by name, in every profile view: two functions called
 * `dup`, an empty name and `__proto__` stay apart in call trees, function statistics, merges,
 * the module profile, the flamegraph, the terminal table and every export.
 */
import { describe, expect, it } from 'vitest';
import {
  GuestProfiler,
  WasmHost,
  formatTopFunctions,
  fromFolded,
  fromPprof,
  functionStats,
  mergeCallTrees,
  profileBySampling,
  renderFlamegraph,
  toCpuProfile,
  toFolded,
  toPprof,
  toSpeedscope,
  type CallTree,
  type CallTreeNode,
} from '../src/index.js';
import { cpuProfileSelfTimes } from '../src/profiler/export/cpuprofile.js';
import { functionNames, nameSection, namesModule } from './helpers/guests.js';
import { flameData } from './helpers/flame-data.js';

const host = new WasmHost({ instrumentCacheDir: false });

/** run (function 2) calls functions 3 and 4 three times each, named as given. */
async function profiled(names: Record<number, string>): Promise<CallTree> {
  const bytes = namesModule(nameSection(functionNames(Object.entries(names).map(([i, n]) => [Number(i), n] as const))));
  const module = await host.load(bytes, { instrument: { hooks: true, fuel: true } });
  const profiler = new GuestProfiler(module, 'instructions');
  profiler.instantiate().call('run', 3);
  return profiler.tree();
}

const nodes = (tree: CallTree): CallTreeNode[] => {
  const out: CallTreeNode[] = [];
  const go = (node: CallTreeNode): void => node.children.forEach((c) => (out.push(c), go(c)));
  go(tree.root);
  return out;
};
const shape = (tree: CallTree) => nodes(tree).map((n) => [n.name, n.functionIndex, n.calls]);

const CASES = [
  { title: 'two functions called dup', names: { 2: 'run', 3: 'dup', 4: 'dup' } },
  { title: 'an empty name and __proto__ (also the caller)', names: { 2: '__proto__', 3: '', 4: '__proto__' } },
];

describe('profile views key functions by index', () => {
  for (const { title, names } of CASES) {
    it(`${title}: trees, stats, merges, module profile`, async () => {
      const tree = await profiled(names);
      expect(shape(tree)).toEqual([
        [names[2], 2, 1],
        [names[3], 3, 3],
        [names[4], 4, 3],
      ]);
      expect(functionStats(tree).map((f) => [f.name, f.functionIndex, f.calls]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual(shape(tree));
      const merged = mergeCallTrees([tree, tree]);
      expect(shape(merged)).toEqual(shape(tree).map(([n, i, c]) => [n, i, 2 * Number(c)]));
      const reread = JSON.parse(JSON.stringify(tree)) as CallTree; // plain data: identity survives the wire
      expect(shape(mergeCallTrees([reread, tree]))).toEqual(shape(merged));
    });

    it(`${title}: flamegraph, terminal table and exports`, async () => {
      const tree = await profiled(names);
      const [run, three, four] = nodes(tree);
      const label = (name: string, index: number) => (name === '' ? `(func[${index}])` : `${name} (func[${index}])`);
      const clash = names[2] === names[4];
      const l2 = clash ? label(names[2], 2) : names[2];
      const l3 = label(names[3], 3);
      const l4 = clash || names[3] === names[4] ? label(names[4], 4) : names[4];
      // Folded: names only, so functions that would read alike carry their index.
      expect(toFolded(tree)).toBe(`${l2} ${run!.self}\n${l2};${l3} ${three!.self}\n${l2};${l4} ${four!.self}\n`);
      expect(nodes(fromFolded(toFolded(tree))).map((n) => [n.name, n.self])).toEqual([
        [l2, run!.self],
        [l3, three!.self],
        [l4, four!.self],
      ]);
      // The terminal table says which is which the same way.
      const table = formatTopFunctions({ mode: tree.mode, unit: tree.unit, total: tree.root.total, top: functionStats(tree) });
      for (const text of [l2, l3, l4]) expect(table).toContain(text);
      // speedscope: one shared frame per function.
      const speedscope = toSpeedscope(tree, 'p');
      expect(speedscope.shared.frames).toEqual([{ name: names[2] }, { name: names[3] }, { name: names[4] }]);
      // .cpuprofile: the index is the column, so DevTools keeps them apart.
      const self = cpuProfileSelfTimes(toCpuProfile(tree));
      expect([...self.keys()]).toEqual([`${names[2]}@2`, `${names[3]}@3`, `${names[4]}@4`]);
      // pprof: one function each, the index back from its system name.
      expect(shape(fromPprof(toPprof(tree), tree)).map(([n, i]) => [n, i])).toEqual(shape(tree).map(([n, i]) => [n, i]));
      // Flamegraph: one frame each, the index in the tooltip and the data.
      const svg = renderFlamegraph(tree);
      expect(flameData(svg).frames.map((f) => [f.name, f.functionIndex])).toEqual(shape(tree).map(([n, i]) => [n, i]));
      const escapedName = (n: string) => n.replace(/</g, '&lt;');
      for (const i of [2, 3, 4] as const) expect(svg).toContain(`<title>${escapedName(names[i])} (func[${i}])\ntotal `);
    });
  }

  it('the module profile\'s top functions and the sampling mode too', { retry: 2 }, async () => {
    const bytes = namesModule(nameSection(functionNames([[2, 'run'], [3, 'dup'], [4, 'dup']])));
    const instrumented = await host.load(bytes, { instrument: { hooks: true } });
    new GuestProfiler(instrumented, 'instrumented').instantiate().call('run', 100);
    expect(instrumented.profile().functions!.top.map((f) => [f.name, f.functionIndex, f.calls]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['run', 2, 1],
      ['dup', 3, 100],
      ['dup', 4, 100],
    ]);
    const plain = await host.load(bytes);
    const sandbox = plain.instantiate();
    const sampled = await profileBySampling(sandbox, () => {
      for (let i = 0; i < 20; i++) sandbox.call('run', 2_000_000);
    }, { intervalUs: 100 });
    // Each `dup` may show under more than one path (V8 samples); each path keeps the two apart.
    const run = sampled.root.children.find((n) => n.functionIndex === 2)!;
    expect(run.children.filter((n) => n.name === 'dup').map((n) => n.functionIndex).sort()).toEqual([3, 4]);
  });
});
