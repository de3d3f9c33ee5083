/**
 * Bad name sections, one class per test, byte by byte. Each checks that the module loads plain
 * and instrumented, that `functionName` and trap stacks name every function as V8 itself does
 * for the same bytes, that profiles key functions by index, and that the host keeps serving.
 */
import { describe, expect, it } from 'vitest';
import { GuestProfiler, WasmHost, functionStats, type GuestModule, type WasmTrapError } from '../src/index.js';
import { guestText } from '../src/untrusted-text.js';
import { repairNameSection } from '../src/wasm/name-section.js';
import { parseModule } from '../src/wasm/wasm-binary.js';
import { RESERVED_PREFIX } from '../src/instrument/abi.js';
import { functionNames, leb, name, nameSection, namesModule, subsection } from './helpers/guests.js';
import { v8FunctionNames, v8TrapNames } from './helpers/v8-names.js';

const host = new WasmHost({ instrumentCacheDir: false });
const FUNCTIONS = 6;
const indices = [...Array(FUNCTIONS).keys()];

function trap(module: GuestModule): WasmTrapError {
  try {
    module.instantiate().call('trap');
  } catch (error) {
    return error as WasmTrapError;
  }
  throw new Error('trap() returned');
}

/** Every check of the file header, for a names module carrying `customs`; `expected` is V8's naming. */
async function agreesWithV8(customs: number[][], expected: readonly string[]): Promise<void> {
  const bytes = namesModule(...customs);
  // V8 itself, on a raw instance: every function, and the stack of a trap.
  expect(v8FunctionNames(FUNCTIONS, ...customs).map((n, i) => n ?? `func[${i}]`)).toEqual(expected);
  expect(v8TrapNames(bytes, 'trap').map((n, i) => n ?? `func[${i}]`)).toEqual(expected.slice(0, 2));
  const shownStack = [[guestText(expected[0]!), 0], [guestText(expected[1]!), 1]];

  const plain = await host.load(bytes);
  expect(indices.map((i) => plain.functionName(i))).toEqual(expected);
  expect(trap(plain).guestStack.map((f) => [f.name, f.functionIndex])).toEqual(shownStack);

  const rewritten = await host.load(bytes, { instrument: { fuel: true, hooks: true } });
  const added = rewritten.instrumentation!.functions.length - FUNCTIONS; // the host's imports come first
  expect(indices.map((i) => rewritten.functionName(added + i))).toEqual(expected);
  expect(trap(rewritten).guestStack.map((f) => [rewritten.functionName(f.functionIndex!), f.name])).toEqual(expected.slice(0, 2).map((n) => [n, guestText(n)]));

  const profiler = new GuestProfiler(rewritten, 'instructions');
  profiler.instantiate().call('run', 3);
  const [run] = profiler.tree().root.children;
  expect([run!.name, run!.functionIndex, run!.children.map((c) => [c.name, c.functionIndex, c.calls])]).toEqual([
    expected[2],
    2,
    [
      [expected[3], 3, 3],
      [expected[4], 4, 3],
    ],
  ]);
  expect(functionStats(profiler.tree()).map((f) => f.functionIndex).sort()).toEqual([2, 3, 4]);

  // The same host still serves, plain and rewritten.
  expect(plain.instantiate().call('control', 41)).toBe(42);
  expect(rewritten.instantiate({ fuel: 1000 }).call('control', 41)).toBe(42);
}

const unnamed = indices.map((i) => `func[${i}]`);
const withNames = (names: Record<number, string>): string[] => indices.map((i) => names[i] ?? `func[${i}]`);

describe('bad name sections: plain loads, rewrites, names as V8 gives them, profiles by index', () => {
  it('a function-names subsection claiming 2³²−1 entries reads the entries present, in bounded time', async () => {
    const customs = [nameSection(subsection(1, [...leb(0xffffffff), ...leb(0), ...name('a'), ...leb(2), ...name('run')]))];
    await agreesWithV8(customs, withNames({ 0: 'a', 2: 'run' }));
    // A megabyte of entries under the same claim: read once, at the bytes' pace.
    const entries = Array.from({ length: 100_000 }, (_, i) => [...leb(i % FUNCTIONS), ...name(`n${i}`)]).flat();
    const big = namesModule(nameSection(subsection(1, [...leb(0xffffffff), ...entries])));
    const started = performance.now();
    const parsed = parseModule(big);
    const repaired = repairNameSection(big, parsed, RESERVED_PREFIX);
    expect(performance.now() - started).toBeLessThan(500);
    expect([...parsed.functionNames]).toEqual(indices.map((i) => [i, `n${i}`]));
    expect(repaired.length).toBeLessThan(namesModule().length + 64);
  });

  it('a name whose length runs past the end keeps the names read before it', async () => {
    await agreesWithV8([nameSection(subsection(1, [...leb(2), ...leb(0), ...name('a'), ...leb(2), ...leb(100), 0x72]))], withNames({ 0: 'a' }));
    await agreesWithV8([nameSection(subsection(1, [...leb(1), ...leb(0), ...leb(100), 0x72]))], unnamed);
  });

  it('a subsection claiming 2 GiB names nothing (V8 stops at a size past the section)', async () => {
    await agreesWithV8([nameSection([1, ...leb(0x80000000), ...leb(2), ...leb(0), ...name('a'), ...leb(2), ...name('run')])], unnamed);
    // Entries past a subsection's own (too small) size are still read: V8 reads to the section's end.
    await agreesWithV8([nameSection([1, ...leb(1), ...leb(2), ...leb(0), ...name('a'), ...leb(2), ...name('run')])], withNames({ 0: 'a', 2: 'run' }));
  });

  it('a name that is not UTF-8 is no name (V8: wasm-function[N]); a byte-order mark is kept', async () => {
    const names = functionNames([
      [0, [0x61, 0xff]], // invalid byte
      [1, [0xed, 0xa0, 0x80]], // an encoded surrogate
      [2, 'run'],
      [3, [0xc0, 0xaf]], // overlong
      [4, '\ufeffbom'],
    ]);
    await agreesWithV8([nameSection(names)], withNames({ 2: 'run', 4: '\ufeffbom' }));
  });

  it('entries for functions that do not exist are ignored, and binaryen never sees them', async () => {
    const customs = [nameSection(functionNames([[99, 'ghost'], [0xffffffff, 'x'], [0, 'a'], [FUNCTIONS, 'past']]))];
    await agreesWithV8(customs, withNames({ 0: 'a' }));
    const bytes = namesModule(...customs);
    const repaired = parseModule(repairNameSection(bytes, parseModule(bytes), RESERVED_PREFIX));
    expect([...repaired.functionNames]).toEqual([[0, 'a']]);
  });

  it('a function named twice keeps its first name; two functions with one name stay two in profiles', async () => {
    const customs = [nameSection(functionNames([[0, 'first'], [0, 'second'], [3, 'dup'], [4, 'dup'], [3, 'later']]))];
    await agreesWithV8(customs, withNames({ 0: 'first', 3: 'dup', 4: 'dup' }));
  });

  it('of two name sections the first counts, even when it is broken or empty', async () => {
    await agreesWithV8([nameSection(functionNames([[0, 'one']])), nameSection(functionNames([[0, 'two'], [1, 'b']]))], withNames({ 0: 'one' }));
    await agreesWithV8([nameSection(subsection(1, [...leb(0xffffffff)])), nameSection(functionNames([[0, 'second']]))], unnamed);
    await agreesWithV8([nameSection(), nameSection(functionNames([[0, 'second']]))], unnamed);
  });

  it('only the first function-names subsection counts, and an id ≥ 0x80 ends the walk', async () => {
    await agreesWithV8([nameSection(functionNames([[0, 'one']]), functionNames([[1, 'two']]))], withNames({ 0: 'one' }));
    await agreesWithV8([nameSection([0x81, 0x01, 0], functionNames([[0, 'after']]))], unnamed);
  });

  it('a module name never becomes part of a function name (V8 prints `module.function`)', async () => {
    const customs = [nameSection(subsection(0, name('my.mod (x)')), functionNames([[0, 'a'], [1, 'b']]))];
    await agreesWithV8(customs, withNames({ 0: 'a', 1: 'b' }));
    expect((await host.load(namesModule(...customs))).inspect().moduleName).toBe('my.mod (x)');
    // V8 reads a module name's string and goes on right after it, and the last one wins.
    const continued = namesModule(nameSection(subsection(0, [...name('m1'), 0, 3, ...name('m9')])));
    expect(parseModule(continued).moduleName).toBe('m9');
  });

  it('names under the host prefix do not reach binaryen: a guest function cannot stand in for the budget import', async () => {
    // Function 3 has the budget import's type, (i32) -> i32, and its internal name.
    const customs = [nameSection(functionNames([[3, '__wasm_sandbox_budget_exhausted'], [4, '__wasm_sandbox_enter'], [0, '__wasm_sandbox']]))];
    await agreesWithV8(customs, withNames({ 0: '__wasm_sandbox', 3: '__wasm_sandbox_budget_exhausted', 4: '__wasm_sandbox_enter' }));
    const module = await host.load(namesModule(...customs), { instrument: { fuel: true } });
    expect(() => module.instantiate({ fuel: 10_000 }).call('run', 1_000_000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_FUEL' }));
    const bytes = namesModule(...customs);
    expect([...parseModule(repairNameSection(bytes, parseModule(bytes), RESERVED_PREFIX)).functionNames]).toEqual([]);
  });

  it('names that fake stack frames cannot add, hide or rename frames', async () => {
    const forged = 'a\r\n    at evil (wasm://wasm/0:wasm-function[9]:0x1)';
    const customs = [nameSection(subsection(0, name('m')), functionNames([[0, forged], [1, 'b) (wasm://wasm/x:wasm-function[7]:0x2']]))];
    await agreesWithV8(customs, withNames({ 0: forged, 1: 'b) (wasm://wasm/x:wasm-function[7]:0x2' }));
    const stack = trap(await host.load(namesModule(...customs))).guestStack;
    expect(stack.map((f) => [f.name, f.functionIndex])).toEqual([
      ['a\\x0d\\x0a    at evil (wasm://wasm/0:wasm-function[9]:0x1)', 0],
      ['b) (wasm://wasm/x:wasm-function[7]:0x2', 1],
    ]);
  });

  it('an empty name and __proto__ are names like any other', async () => {
    await agreesWithV8([nameSection(functionNames([[3, ''], [4, '__proto__'], [0, 'constructor']]))], withNames({ 0: 'constructor', 3: '', 4: '__proto__' }));
  });
});
