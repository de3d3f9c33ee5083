/**
 * Hostile and unusual modules through the rewriter: each class gets a typed outcome (it runs
 * instrumented with the same results, or fails with ERR_WASM_INSTRUMENTATION), in bounded time,
 * and the same host serves a control call afterwards.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInstrumentEngine, WasmHost, type InstrumentOptions, type Sandbox } from '../src/index.js';
import { ORACLE_COUNTER } from '../src/instrument/abi.js';
import { addInstructionOracle } from '../src/instrument/oracle-pass.js';
import { guestBytes } from './helpers/guests.js';
import { deepOperands, nestedBlocks, wat } from './helpers/modules.js';
import { failure, expectServes } from './helpers/failures.js';

const host = new WasmHost({ instrumentCacheDir: false });
beforeAll(() => loadInstrumentEngine());

const PASSES: readonly InstrumentOptions[] = [
  { fuel: true }, { deadline: true }, { counters: true }, { hooks: true }, { memory: true }, { allocator: true },
  { fuel: true, counters: true, hooks: true, memory: true, allocator: true },
];

/** Fuel's count of one call equals the oracle's. */
function expectExactFuel(bytes: Uint8Array, call: (s: Sandbox) => unknown): void {
  const fueled = host.loadSync(bytes, { instrument: { fuel: true } }).instantiate();
  const oracled = host.loadSync(addInstructionOracle(bytes)).instantiate();
  const before = fueled.instructionsExecuted();
  call(fueled);
  call(oracled);
  expect(fueled.instructionsExecuted() - before).toBe(Number((oracled.instance.exports[ORACLE_COUNTER] as WebAssembly.Global).value as bigint));
}

describe('deep nesting', () => {
  it('5,000 nested blocks run instrumented with every pass, and fuel is exact', () => {
    const bytes = nestedBlocks(5000);
    for (const instrument of PASSES) expect(host.loadSync(bytes, { instrument }).instantiate().call('f')).toBe(7);
    // The oracle doubles the nesting (a block around every expression): checked at 2,000.
    expectExactFuel(nestedBlocks(2000), (s) => s.call('f'));
    expectServes(host);
  });

  it('100,000 nested blocks or operands: a typed refusal, or the plain module when the options say so', () => {
    for (const bytes of [nestedBlocks(100_000), deepOperands(100_000)]) {
      expect(host.loadSync(bytes).instantiate().call('f')).toBeGreaterThan(0); // valid, and V8 runs it
      const error = failure(() => host.loadSync(bytes, { instrument: { fuel: true, hooks: true } }));
      expect(error.code).toBe('ERR_WASM_INSTRUMENTATION');
      expect(error.message).toMatch(/nests deeper than the engine can follow/);
      const plain = host.loadSync(bytes, { instrument: { counters: true, fallback: 'plain' } });
      expect(plain.instrumentation).toBeUndefined();
      expect(plain.instrumentationRefused?.code).toBe('ERR_WASM_INSTRUMENTATION');
      expect(plain.instantiate().call('f')).toBeGreaterThan(0);
      // Deadlines alone fall back to V8 termination.
      expect(host.loadSync(bytes, { instrument: { deadline: true } }).deadlineRoute).toBe('vm');
    }
    expectServes(host);
  });
});

describe('table instructions Node 20 runs', () => {
  const tables = wat(`(module
    (type $i (func (result i32)))
    (table $t 8 funcref) (table $u 8 funcref)
    (elem $e func $one $two $three)
    (elem $d declare func $two)
    (func $one (result i32) (i32.const 1)) (func $two (result i32) (i32.const 2)) (func $three (result i32) (i32.const 3))
    (func (export "run") (param $n i32) (result i32)
      (table.init $u $e (i32.const 0) (i32.const 0) (i32.const 3))
      (table.copy $t $u (i32.const 2) (i32.const 0) (local.get $n))
      (table.fill $t (i32.const 6) (ref.func $two) (i32.const 2))
      (elem.drop $e)
      (i32.add
        (i32.add (call_indirect $t (type $i) (i32.const 2)) (i32.mul (i32.const 10) (call_indirect $t (type $i) (i32.const 4))))
        (i32.mul (i32.const 100) (call_indirect $t (type $i) (i32.const 7)))))
    (func (export "reinit") (result i32)
      (table.init $u $e (i32.const 0) (i32.const 0) (i32.const 1)) (i32.const 0)))`);

  it('table.init, table.copy, table.fill and elem.drop are rewritten by every pass with the same results', () => {
    const plain = host.loadSync(tables).instantiate();
    expect(plain.call('run', 3)).toBe(231);
    const dropped = failure(() => plain.call('reinit'));
    expect(dropped).toMatchObject({ code: 'ERR_WASM_TRAP', kind: 'table_out_of_bounds' });
    for (const instrument of PASSES) {
      const sandbox = host.loadSync(tables, { instrument }).instantiate();
      expect(sandbox.call('run', 3)).toBe(231);
      expect(failure(() => sandbox.call('reinit'))).toMatchObject({ code: 'ERR_WASM_TRAP', kind: 'table_out_of_bounds' });
    }
    expectExactFuel(tables, (s) => s.call('run', 3));
    // A copy out of bounds traps the same way instrumented.
    expect(failure(() => host.loadSync(tables, { instrument: { fuel: true } }).instantiate().call('run', 9))).toMatchObject({ kind: 'table_out_of_bounds' });
  });
});

describe('memory hooks see addresses, never values', () => {
  const floats = wat(`(module (memory 1)
    (func (export "roundTrip") (param $bits i32) (result i32)
      (f32.store (i32.const 16) (f32.reinterpret_i32 (local.get $bits)))
      (i32.reinterpret_f32 (f32.load (i32.const 16))))
    (func (export "roundTrip64") (param $bits i64) (result i64)
      (f64.store (i32.const 24) (f64.reinterpret_i64 (local.get $bits)))
      (i64.reinterpret_f64 (f64.load (i32.const 24)))))`);

  it('a signalling NaN keeps its payload through a store and a load', () => {
    const events: string[] = [];
    const sandbox = host.loadSync(floats, { instrument: { memory: true } }).instantiate({
      memoryHooks: { load: (a, n) => events.push(`load ${a} ${n}`), store: (a, n) => events.push(`store ${a} ${n}`) },
    });
    expect(sandbox.call('roundTrip', 0x7fa00000) >>> 0).toBe(0x7fa00000);
    expect(sandbox.call('roundTrip', 0xffc00001 | 0) >>> 0).toBe(0xffc00001);
    expect(sandbox.call('roundTrip64', 0x7ff4000000000001n)).toBe(0x7ff4000000000001n);
    expect(events.slice(0, 2)).toEqual(['store 16 4', 'load 16 4']);
  });

  const simd = wat(`(module (memory 1)
    (func (export "lanes") (result i32) (local $v v128)
      (local.set $v (v128.load (i32.const 0)))
      (local.set $v (v128.load8_lane offset=5 3 (i32.const 100) (local.get $v)))
      (local.set $v (i32x4.add (local.get $v) (v128.load8_splat (i32.const 200))))
      (local.set $v (i32x4.add (local.get $v) (v128.load32_zero offset=4 (i32.const 300))))
      (local.set $v (i32x4.add (local.get $v) (v128.load16x4_s (i32.const 400))))
      (v128.store8_lane 1 (i32.const 500) (local.get $v))
      (v128.store offset=16 (i32.const 600) (local.get $v))
      (memory.copy (i32.const 1000) (i32.const 600) (i32.const 20))
      (memory.fill (i32.const 2000) (i32.const 7) (i32.const 33))
      (i32.atomic.rmw.add (i32.const 64) (i32.const 1))))`);

  it('SIMD lane, splat, zero-extending, extending and bulk accesses all produce events', () => {
    const events: string[] = [];
    const sandbox = host.loadSync(simd, { instrument: { memory: true } }).instantiate({
      memoryHooks: { load: (a, n) => events.push(`load ${a} ${n}`), store: (a, n) => events.push(`store ${a} ${n}`) },
    });
    const plain = host.loadSync(simd).instantiate();
    expect(sandbox.call('lanes')).toBe(plain.call('lanes'));
    expect(events).toEqual([
      'load 0 16', 'load 105 1', 'load 200 1', 'load 304 4', 'load 400 8', 'store 500 1', 'store 616 16',
      'store 1000 20', 'load 600 20', 'store 2000 33', 'store 64 4',
    ]);
  });
});

describe('the guest and its glue see only what the guest declared', () => {
  it('instrumented instances expose exactly the original exports, and inspect() describes the module as given', () => {
    const bytes = guestBytes('indirect'); // no name section
    const plain = host.loadSync(bytes);
    const rewritten = host.loadSync(bytes, { instrument: { fuel: true, counters: true, hooks: true, memory: true } });
    expect(rewritten.inspect()).toEqual(plain.inspect());
    expect(rewritten.inspect().hasNameSection).toBe(false);
    const exports = rewritten.instantiate().instance.exports;
    expect(Object.keys(exports)).toEqual(Object.keys(plain.instantiate().instance.exports));
    expect(Object.values(exports).some((value) => typeof (value as WebAssembly.Global).value === 'bigint')).toBe(false);
    expect(Object.isFrozen(exports)).toBe(true);
    // Glue in the style of emscripten's dynamic linking: every global export is an address.
    for (const value of Object.values(exports)) if (value instanceof WebAssembly.Global) expect(Number(value.value) + 1024).toBeGreaterThan(0);
    expect(rewritten.instantiate().functionCounters().length).toBe(0);
  });
});

describe('names the host reserves', () => {
  it('a guest importing from the host’s name space is refused before anything links it to the budget import', () => {
    const sneaky = wat(`(module (import "__wasm_sandbox" "budget" (func $refill (param i32) (result i32)))
      (func (export "spin") (loop $l (drop (call $refill (i32.const -2147483648))) (br $l))))`);
    const error = failure(() => host.loadSync(sneaky, { instrument: { fuel: true } }));
    expect(error).toMatchObject({ code: 'ERR_WASM_IMPORT', importModule: '__wasm_sandbox', importName: 'budget' });
    expectServes(host);
  });

  it('a guest exporting a reserved name is not rewritten (deadlines alone fall back to V8 termination)', () => {
    const clash = wat(`(module (global (export "__wasm_sandbox_budget") i32 (i32.const 1)) (func (export "f") (result i32) (i32.const 3)))`);
    expect(failure(() => host.loadSync(clash, { instrument: { fuel: true } }))).toMatchObject({ code: 'ERR_WASM_INSTRUMENTATION', message: expect.stringMatching(/exports "__wasm_sandbox_budget", a name the host reserves/) });
    const vm = host.loadSync(clash, { instrument: { deadline: true } });
    expect(vm.deadlineRoute).toBe('vm');
    const sandbox = vm.instantiate({ timeoutMs: 1000 });
    expect(sandbox.call('f')).toBe(3);
    // Its own export stays visible to glue, as in any plain module.
    expect(Object.keys(sandbox.instance.exports)).toEqual(['__wasm_sandbox_budget', 'f']);
    expectServes(host);
  });
});
