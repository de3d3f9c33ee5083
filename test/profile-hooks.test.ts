import { describe, expect, it } from 'vitest';
import { WasmHost, type FunctionHooks } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });

/** Records enter/exit events and checks they nest like a stack. */
function recorder(names: readonly string[]) {
  const events: string[] = [];
  const stack: number[] = [];
  let maxDepth = 0;
  const hooks: FunctionHooks = {
    enter(id) {
      events.push(`> ${names[id]}`);
      stack.push(id);
      maxDepth = Math.max(maxDepth, stack.length);
    },
    exit(id) {
      events.push(`< ${names[id]}`);
      expect(stack.pop()).toBe(id);
    },
  };
  return { hooks, events, stack, depth: () => maxDepth };
}

describe('function counters', () => {
  it('count calls and instructions exactly, inside wasm', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { counters: true } });
    const sandbox = module.instantiate();
    expect(sandbox.call('fib', 10)).toBe(55);
    expect(sandbox.functionCounters()).toEqual([{ name: 'assembly/fib/fib', profileId: 0, calls: 177, instructions: 1589 }]);
    sandbox.call('fib', 10);
    expect(sandbox.functionCounters()[0]).toMatchObject({ calls: 354, instructions: 3178 });
  });

  it('agree with the fuel count of the same call', async () => {
    const module = await host.load(guestPath('strings'), { instrument: { counters: true, fuel: true } });
    const sandbox = module.instantiate();
    const report = sandbox.callWithMetrics('countBytes', 0);
    void report;
    const before = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
    const reverse = sandbox.typed('reverse', { params: ['string'], result: 'string' });
    const beforeFuel = module.profile().exports.reduce((n, e) => n + e.instructions, 0);
    reverse('counting');
    const after = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
    const afterFuel = module.profile().exports.reduce((n, e) => n + e.instructions, 0);
    // Instructions of the allocations made by the runtime helpers to pass the string are counted by the
    // counters (they run in the guest) but not charged to the `reverse` call's fuel.
    expect(after - before).toBeGreaterThanOrEqual(afterFuel - beforeFuel);
    expect(afterFuel - beforeFuel).toBeGreaterThan(100);
  });

  it('need a module loaded with counters', async () => {
    const sandbox = (await host.load(guestPath('fib'))).instantiate();
    expect(() => sandbox.functionCounters()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('entry/exit hooks', () => {
  it('see every way out of a function: return, branch to the end, tail call, fallthrough', async () => {
    const module = await host.load(guestPath('exits'), { instrument: { hooks: true } });
    const names = module.instrumentation!.profiledFunctions;
    const r = recorder(names);
    const sandbox = module.instantiate({ hooks: r.hooks });
    expect(sandbox.call('early', -3)).toBe(-1);
    expect(r.events).toEqual(['> func[1]', '< func[1]']);
    r.events.length = 0;
    expect(sandbox.call('early', 3)).toBe(4);
    expect(r.events).toEqual(['> func[1]', '> func[0]', '< func[0]', '< func[1]']);
    r.events.length = 0;
    expect(sandbox.call('branchOut', 0)).toBe(7);
    expect(sandbox.call('branchOut', 2)).toBe(8);
    expect(r.events).toEqual(['> func[2]', '< func[2]', '> func[2]', '> func[0]', '< func[0]', '< func[2]']);
    r.events.length = 0;
    expect(sandbox.call('tail', 4)).toBe(5);
    // The tail-calling frame exits before its callee runs in its place.
    expect(r.events).toEqual(['> func[3]', '< func[3]', '> func[0]', '< func[0]']);
    r.events.length = 0;
    expect(sandbox.call('loopy', 3)).toBe(3);
    expect(r.events.filter((e) => e === '> func[0]')).toHaveLength(3);
    expect(r.stack).toEqual([]);
  });

  it('leave the stack open when a guest traps: the host resynchronises at the call boundary', async () => {
    const module = await host.load(guestPath('exits'), { instrument: { hooks: true } });
    const r = recorder(module.instrumentation!.profiledFunctions);
    const sandbox = module.instantiate({ hooks: r.hooks });
    let unwound = 0;
    const hooks = { ...r.hooks, unwound: () => { unwound++; r.stack.length = 0; } };
    const sandbox2 = module.instantiate({ hooks });
    expect(() => sandbox.call('boom', 1)).toThrow(expect.objectContaining({ code: 'ERR_WASM_TRAP', kind: 'unreachable' }));
    expect(r.events).toEqual(['> func[5]', '> func[0]', '< func[0]']);
    expect(r.stack).toEqual([5]);
    // With an `unwound` hook the consumer learns of the unwind at the call boundary.
    r.events.length = 0;
    expect(() => sandbox2.call('boom', 1)).toThrow(expect.objectContaining({ code: 'ERR_WASM_TRAP' }));
    expect(unwound).toBe(1);
    expect(r.stack).toEqual([]);
    expect(sandbox2.call('early', 1)).toBe(2);
    expect(unwound).toBe(1);
  });

  it('nest correctly through deep recursion and a real allocator', async () => {
    const fib = await host.load(guestPath('fib'), { instrument: { hooks: true, counters: true } });
    const r = recorder(fib.instrumentation!.profiledFunctions);
    const sandbox = fib.instantiate({ hooks: r.hooks });
    sandbox.call('fib', 12);
    expect(r.events.filter((e) => e.startsWith('>'))).toHaveLength(sandbox.functionCounters()[0]!.calls);
    expect(r.depth()).toBe(12);
    expect(r.stack).toEqual([]);

    const strings = await host.load(guestPath('strings'), { instrument: { hooks: true } });
    const s = recorder(strings.instrumentation!.profiledFunctions);
    const sandbox2 = strings.instantiate({ hooks: s.hooks });
    expect(sandbox2.typed('reverse', { params: ['string'], result: 'string' })('hooks!')).toBe('!skooh');
    expect(s.events).toContain('> assembly/strings/reverse');
    expect(s.stack).toEqual([]);
  });
});
