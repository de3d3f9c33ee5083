import { describe, expect, it } from 'vitest';
import { WasmHost, type AllocationKind } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });

describe('memory-access hooks', () => {
  it('report every load with its address and size, in program order', async () => {
    const module = await host.load(guestPath('matrix'), { instrument: { memory: true } });
    const loads: number[] = [];
    let recording = false;
    const sandbox = module.instantiate({
      memoryHooks: {
        load: (address, bytes) => {
          if (recording && bytes === 8) loads.push(address);
        },
        store: () => undefined,
      },
    });
    sandbox.call('init', 16);
    recording = true;
    sandbox.call('sumRowMajor');
    expect(loads).toHaveLength(256);
    expect(loads.slice(1, 16).map((a, i) => a - loads[i]!)).toEqual(Array(15).fill(8)); // row-major: stride 8
    loads.length = 0;
    sandbox.call('sumColumnMajor');
    expect(loads).toHaveLength(256);
    expect(loads.slice(1, 16).map((a, i) => a - loads[i]!)).toEqual(Array(15).fill(16 * 8)); // column-major: stride n*8
  });

  it('report stores and memory growth', async () => {
    const module = await host.load(guestPath('grow'), { instrument: { memory: true }, memoryLimitPages: 10 });
    const grows: [number, number][] = [];
    const stores: [number, number][] = [];
    const sandbox = module.instantiate({ memoryHooks: { load: () => undefined, store: (a, b) => stores.push([a, b]), grow: (d, r) => grows.push([d, r]) } });
    expect(sandbox.call('grow', 2)).toBe(0);
    expect(sandbox.call('grow', 100)).toBe(-1);
    expect(sandbox.call('touchLast')).toBe(42);
    expect(grows).toEqual([[2, 0], [100, -1]]);
    expect(stores).toEqual([[2 * 65536 - 1, 1]]);
  });
});

describe('allocator hooks', () => {
  it('report AssemblyScript allocations with size, pointer and calling function', async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true } });
    expect(module.instrumentation!.allocators).toContain('~lib/rt/itcms/__new');
    const names = module.instrumentation!.profiledFunctions;
    const events: [AllocationKind, string, number, number, number][] = [];
    const sandbox = module.instantiate({ allocationHook: (kind, caller, first, second, result) => events.push([kind, names[caller]!, first, second, result]) });
    events.length = 0;
    expect(sandbox.call('leak', 3, 100)).toBe(3);
    const buffers = events.filter(([kind, , size]) => kind === 'new' && size === 100);
    expect(buffers).toHaveLength(3);
    expect(new Set(buffers.map(([, caller]) => caller))).toEqual(new Set(['~lib/arraybuffer/ArrayBuffer#constructor']));
    expect(new Set(buffers.map(([, , , , pointer]) => pointer)).size).toBe(3);
    expect(buffers.every(([, , , , pointer]) => pointer > 0)).toBe(true);
  });

  it('accept configured names, for modules without a name section', async () => {
    const module = await host.load(guestPath('bump-allocator'), { instrument: { allocator: { 'func[0]': 'malloc', 'func[1]': 'free' } } });
    expect(module.instrumentation!.allocators).toEqual(['func[0]', 'func[1]']);
    const events: unknown[][] = [];
    const sandbox = module.instantiate({ allocationHook: (...event) => events.push(event) });
    expect(sandbox.call('pair', 16, 32)).toBe(1);
    // pair is profile id 2; the inner alloc's result is stored through the outer one's pointer.
    // The last field is the memory's size in pages (one, never grown).
    expect(events).toEqual([
      ['malloc', 2, 16, 0, 1024, 1],
      ['malloc', 2, 32, 0, 1040, 1],
      ['free', 2, 1024, 0, 0, 1],
    ]);
  });

  it('change nothing when no function matches', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { allocator: true } });
    expect(module.instrumentation!.allocators).toEqual([]);
    expect(module.instantiate().call('fib', 10)).toBe(55);
  });
});
