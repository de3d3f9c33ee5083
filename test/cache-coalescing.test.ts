/**
 * The guest counts its commonest accesses itself and hands the counts to the wasm cache recorder
 * with its next report (abi.ts MEMORY_HOOKS): whatever the pattern, the recording must equal the
 * pure model's fed every access from JavaScript, and the guest must really have skipped reports
 * where it may.
 */
import { describe, expect, it } from 'vitest';
import { WasmCacheRecorder } from '../src/host/profiling/wasm-cache-recorder.js';
import { WasmHost, type Sandbox } from '../src/index.js';
import { recorderLimits } from '../src/profiler/build/cache-recording.js';
import { CacheSimulator } from '../src/profiler/build/cache-simulator.js';
import { streamClass } from '../src/profiler/build/stride-detector.js';
import { COALESCED_WIDTHS, streamClassOf } from '../src/instrument/abi.js';
import type { CacheGeometry } from '../src/profiler/model/cache-report.js';
import { guestPath } from './helpers/guests.js';

// D1 1 KiB 2-way, 64 B lines: 8 sets, so lines 512 B apart share a set. LL 64 KiB 4-way.
const SMALL: CacheGeometry = { d1: { sizeBytes: 1024, associativity: 2, lineBytes: 64 }, ll: { sizeBytes: 65536, associativity: 4, lineBytes: 64 }, source: 'test' };
const host = new WasmHost({ instrumentCacheDir: false });
const loaded = host.load(guestPath('access-patterns'), { instrument: { memory: true, hooks: true } });

type Scenario = (s: Sandbox) => void;

/** Runs `scenario` against the wasm recorder (its reports counted) and against the pure model. */
async function record(scenario: Scenario) {
  const module = await loaded;
  const limits = recorderLimits(module.memoryLimitPages * 65536, 64, module.instrumentation!.profiledFunctions.length);
  const callbacks: Sandbox[] = [];
  // The host import may call back into the guest (`touch`) on odd steps.
  const imports = { env: { callback: (i: number) => void (i % 16 === 8 ? callbacks[0]!.call('touch', i) : undefined) } };

  const recorder = new WasmCacheRecorder(SMALL, limits);
  const hooks = recorder.hooks;
  let reports = 0;
  const counted = (report: (...args: number[]) => number) => (...args: number[]) => (reports++, report(...args));
  const wasm = module.instantiate({
    imports,
    linkedHooks: { ...hooks, load: counted(hooks.load as (...a: number[]) => number), store: counted(hooks.store as (...a: number[]) => number) },
    hooks: { enter: () => undefined, exit: () => undefined, unwound: () => recorder.unwind() },
  });
  callbacks[0] = wasm;
  scenario(wasm);

  const model = new CacheSimulator(SMALL, limits);
  const js = module.instantiate({
    imports,
    memoryHooks: { load: (a, n) => model.load(a, n), store: (a, n) => model.store(a, n) },
    hooks: { enter: (id) => model.enter(id), exit: (id) => model.exit(id), unwound: () => model.unwind() },
  });
  callbacks[0] = js;
  scenario(js);

  const expected = model.recording();
  const accesses = expected.nodes.reduce((sum, node) => sum + node.reads + node.writes, 0);
  return { got: recorder.recording(), expected, reports, accesses };
}

const SCENARIOS: Record<string, Scenario> = {
  'two lines in turn, three classes (an array walk and a spilled local)': (s) => s.call('interleave', 500),
  'three lines in turn': (s) => s.call('three', 300),
  'two classes on lines in two D1 sets': (s) => s.call('pingpong', 400, 1088),
  'two classes on lines in one D1 set': (s) => s.call('pingpong', 400, 1024),
  "two words in one D1 set read in turn, then a third line of the set: the set's LRU order decides": (s) => s.call('evictOrder', 50, 1024),
  'two streams of one class': (s) => s.call('sameClass', 400, 1088),
  'the same line across calls to itself': (s) => s.call('recurse', 40),
  'an 8-byte memory.copy inside an 8-byte load stream': (s) => s.call('bulk', 400),
  'a changing stride, one address repeated, a straddling i64, 16-byte vector loads': (s) => s.call('strides', 300),
  'a host call every eighth step, some calling back into the guest': (s) => s.call('viaHost', 400),
  'a trap with counts pending, then more calls': (s) => {
    expect(() => s.call('runOff', 4 * 65536 - 4 * 100)).toThrow();
    s.call('interleave', 50);
  },
};

describe('coalesced accesses', () => {
  it.each(Object.entries(SCENARIOS))('record exactly what the model records: %s', async (_, scenario) => {
    const { got, expected, accesses } = await record(scenario);
    expect(accesses).toBeGreaterThan(100);
    expect(got).toEqual(expected);
  });

  it('record exactly what the model records when every pattern runs in one sandbox, one after another', async () => {
    const { got, expected } = await record((s) => {
      for (const scenario of Object.values(SCENARIOS)) scenario(s);
    });
    expect(got).toEqual(expected);
  });

  it('skip the report where the guest may count, and only there', async () => {
    // interleave: 3 accesses a step over two lines; a report when a[i] enters a new line (every
    // 8th step) and the two after it, until the slot's and the array's strides hold again.
    const walk = await record(SCENARIOS['two lines in turn, three classes (an array walk and a spilled local)']!);
    expect(walk.accesses).toBe(1500);
    expect(walk.reports).toBeLessThan(walk.accesses / 4);
    const apart = await record(SCENARIOS['two classes on lines in two D1 sets']!);
    expect(apart.reports).toBeLessThan(apart.accesses / 4);
    // Lines in one set cannot both be their set's most recent way: every access reports.
    const together = await record(SCENARIOS['two classes on lines in one D1 set']!);
    expect(together.reports).toBe(together.accesses);
    // One class with alternating deltas never predicts its next address.
    const alternating = await record(SCENARIOS['two streams of one class']!);
    expect(alternating.reports).toBe(alternating.accesses);
  });

  it("count by the stride detector's stream classes (the guest's numbering is the model's)", () => {
    for (const bytes of [...COALESCED_WIDTHS, 3, 32]) for (const isStore of [false, true]) expect(streamClassOf(bytes, isStore)).toBe(streamClass(isStore, bytes));
  });

  it('never coalesce for JavaScript memory hooks: they see every access', async () => {
    const module = await loaded;
    let seen = 0;
    const s = module.instantiate({ imports: { env: { callback: () => undefined } }, memoryHooks: { load: () => void seen++, store: () => void seen++ } });
    s.call('interleave', 500);
    expect(seen).toBe(1500);
  });
});
