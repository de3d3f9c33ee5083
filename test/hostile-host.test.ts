/**
 * Hostile modules against the host's limits and error paths: tables, invalid limits, blocking
 * waits, uncaught wasm exceptions, unaligned atomics, runtimes that hand back bad pointers,
 * imports read the way V8 reads them. Each gets a typed error with a stable code, and the same
 * host serves a control call afterwards.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInstrumentEngine, WasmHost } from '../src/index.js';
import { HEADER, leb, section } from './helpers/guests.js';
import { wat } from './helpers/modules.js';
import { failure, expectServes } from './helpers/failures.js';

const host = new WasmHost({ instrumentCacheDir: false });
beforeAll(() => loadInstrumentEngine());

/** A module with one memory of the given limits (flags byte included), and nothing else. */
function memoryModule(limits: readonly number[]): Uint8Array {
  return Uint8Array.from([...HEADER, ...section(5, [1, ...limits])]);
}

describe('tables are limited like memory', () => {
  const growable = wat(`(module
    (table $f 1 funcref) (table $e 1 externref)
    (func (export "growFuncs") (param $n i32) (result i32) (table.grow $f (ref.null func) (local.get $n)))
    (func (export "growExterns") (param $n i32) (result i32) (table.grow $e (ref.null extern) (local.get $n)))
    (func (export "sizes") (result i32) (i32.add (i32.mul (table.size $f) (i32.const 100000)) (table.size $e))))`);

  it('growth past the limit returns -1, for funcref and externref tables alike', () => {
    const sandbox = host.loadSync(growable, { tableLimitEntries: 1000 }).instantiate();
    expect(sandbox.call('growFuncs', 999)).toBe(1);
    expect(sandbox.call('growFuncs', 1)).toBe(-1);
    expect(sandbox.call('growExterns', 5_000_000)).toBe(-1);
    expect(sandbox.call('growExterns', 999)).toBe(1);
    expect(sandbox.call('sizes')).toBe(1000 * 100000 + 1000);
    // The default limit (1,000,000 entries) holds without asking.
    expect(host.loadSync(growable).instantiate().call('growFuncs', 9_900_000)).toBe(-1);
    expectServes(host);
  });

  it('an initial size over the limit, or over V8’s own limit, is refused with a typed error', () => {
    const big = (entries: number) => Uint8Array.from([...HEADER, ...section(4, [1, 0x70, 0x00, ...leb(entries)])]);
    expect(failure(() => host.loadSync(big(2000), { tableLimitEntries: 1000 }))).toMatchObject({
      code: 'ERR_WASM_TABLE_LIMIT', limitEntries: 1000, requestedEntries: 2000, message: expect.stringMatching(/raise tableLimitEntries to at least 2000/),
    });
    expect(failure(() => host.loadSync(big(20_000_000), { tableLimitEntries: 10_000_000 }))).toMatchObject({
      code: 'ERR_WASM_TABLE_LIMIT', message: expect.stringMatching(/V8 cannot create tables over 10000000 entries/),
    });
    expect(failure(() => new WasmHost({ tableLimitEntries: 20_000_000 }))).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expectServes(host);
  });

  it('a granted table already over the limit is refused, naming the import', () => {
    const importer = wat(`(module (import "host" "table" (table 1 funcref)) (func (export "f") (result i32) (table.size 0)))`);
    const table = new WebAssembly.Table({ initial: 50, element: 'anyfunc' });
    expect(failure(() => host.loadSync(importer, { tableLimitEntries: 10 }).instantiate({ imports: { host: { table } } }))).toMatchObject({
      code: 'ERR_WASM_TABLE_LIMIT', message: expect.stringMatching(/the table granted as host\.table already has 50 entries, over the limit of 10/),
    });
    expect(host.loadSync(importer).instantiate({ imports: { host: { table } } }).call('f')).toBe(50);
  });
});

describe('invalid stays invalid', () => {
  it('a memory maximum or minimum over 65,536 pages is ERR_WASM_INVALID with V8’s words, not rewritten into validity', () => {
    const overMax = failure(() => host.loadSync(memoryModule([0x01, 1, ...leb(70_000)])));
    expect(overMax.code).toBe('ERR_WASM_INVALID');
    expect(overMax.message).toMatch(/maximum memory size \(70000 pages\) is larger than implementation limit \(65536 pages\)/);
    const overMin = failure(() => host.loadSync(memoryModule([0x00, ...leb(70_000)])));
    expect(overMin.code).toBe('ERR_WASM_INVALID');
    expect(overMin.message).toMatch(/initial memory size \(70000 pages\) is larger than implementation limit \(65536 pages\)/);
    const minAboveMax = failure(() => host.loadSync(memoryModule([0x01, 10, 5])));
    expect(minAboveMax.code).toBe('ERR_WASM_INVALID');
    expect(minAboveMax.message).toMatch(/maximum memory size \(5 pages\) is less than initial \(10 pages\)/);
    expectServes(host);
  });
});

describe('blocking waits in-process', () => {
  const waiter = wat(`(module (memory 1 1 shared)
    (func (export "wait") (param $ns i64) (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (local.get $ns))))`);

  it('a module with a shared memory is refused in-process, pointing to the pool', () => {
    const module = host.loadSync(waiter, { instrument: { deadline: true } });
    const error = failure(() => module.instantiate({ timeoutMs: 500 }));
    expect(error.code).toBe('ERR_BLOCKING_WAIT');
    expect(error.message).toMatch(/shared memory.*memory\.atomic\.wait.*worker pool \(createPool\)/);
    // A caller who accepts it may still run it; a bounded wait then times out as asked.
    expect(module.instantiate({ allowBlockingWaits: true }).call('wait', 1_000_000n)).toBe(2);
    expectServes(host);
  });
});

describe('every failure typed', () => {
  const thrower = wat(`(module
    (tag $oops (export "oops") (param i32 i64))
    (tag $hidden (param i32))
    (func (export "raise") (param $x i32) (throw $oops (local.get $x) (i64.const 77)))
    (func (export "raiseHidden") (throw $hidden (i32.const 1)))
    (func (export "catches") (result i32)
      (try (result i32) (do (throw $hidden (i32.const 5))) (catch $hidden))))`);

  it('an uncaught wasm exception is ERR_WASM_EXCEPTION, naming its tag and values when the tag is exported', () => {
    for (const instrument of [undefined, { fuel: true, hooks: true }]) {
      const sandbox = host.loadSync(thrower, instrument === undefined ? {} : { instrument }).instantiate();
      expect(failure(() => sandbox.call('raise', 9))).toMatchObject({
        code: 'ERR_WASM_EXCEPTION', tag: 'oops', values: [9, 77n], message: expect.stringMatching(/^<bytes>: raise\(\): the guest threw a wasm exception \(tag "oops"\)/),
      });
      expect(failure(() => sandbox.call('raiseHidden'))).toMatchObject({ code: 'ERR_WASM_EXCEPTION', tag: undefined });
      expect(sandbox.call('catches')).toBe(5);
    }
    expectServes(host);
  });

  it('an unaligned atomic access is its own trap kind', () => {
    const atomics = wat(`(module (memory 1 1 shared) (func (export "at") (param $p i32) (result i32) (i32.atomic.load (local.get $p))))`);
    const sandbox = host.loadSync(atomics).instantiate({ allowBlockingWaits: true });
    expect(sandbox.call('at', 8)).toBe(0);
    expect(failure(() => sandbox.call('at', 2))).toMatchObject({ code: 'ERR_WASM_TRAP', kind: 'unaligned_atomic' });
    expect(failure(() => sandbox.call('at', 65536))).toMatchObject({ code: 'ERR_WASM_TRAP', kind: 'out_of_bounds' });
  });

  // An AssemblyScript-shaped runtime whose allocator hands back a pointer outside memory, and
  // an export that returns something that is not a string.
  const badRuntime = wat(`(module (memory (export "memory") 1)
    (global $calls (mut i32) (i32.const 0))
    (func (export "__new") (param i32 i32) (result i32) (i32.const 0x7ffffff0))
    (func (export "__pin") (param i32) (result i32) (local.get 0))
    (func (export "__unpin") (param i32))
    (func (export "__collect"))
    (func (export "take") (param i32) (result i32) (global.set $calls (i32.add (global.get $calls) (i32.const 1))) (i32.const 0))
    (func (export "notAString") (result i32) (i32.const 32))
    (func (export "calls") (result i32) (global.get $calls)))`);

  it('a runtime whose allocator returns an out-of-bounds pointer fails the typed call; the guest never runs on nothing', () => {
    const sandbox = host.loadSync(badRuntime).instantiate();
    const take = sandbox.typed('take', { params: ['string'], result: 'i32' });
    expect(failure(() => take('hello'))).toMatchObject({ code: 'ERR_WASM_RESULT', message: expect.stringMatching(/allocator returned a string at 0x7ffffff0 \(10 bytes\), outside its 65536-byte memory; the call was not made/) });
    expect(sandbox.call('calls')).toBe(0);
  });

  it('a result that is not what the signature says is typed', () => {
    const sandbox = host.loadSync(badRuntime).instantiate();
    expect(failure(() => sandbox.typed('notAString', { params: [], result: 'string' })())).toMatchObject({
      code: 'ERR_WASM_RESULT', message: expect.stringMatching(/notAString\(\): the guest's runtime handed back a string that is not one \(not a string: 32\)/),
    });
    expectServes(host);
  });
});

describe('granted imports are read the way V8 reads them', () => {
  const importer = wat(`(module (import "env" "twice" (func $twice (param i32) (result i32))) (import "env" "k" (global i32))
    (func (export "run") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (global.get 0))))`);

  it('a Proxy and an instance of the caller’s own class both work', () => {
    const proxy = new Proxy({}, { get: (_target, name) => (name === 'twice' ? (x: number) => x * 2 : name === 'k' ? 5 : undefined) });
    expect(host.loadSync(importer).instantiate({ imports: { env: proxy } }).call('run', 10)).toBe(25);
    class Env {
      k = 1;
      twice(x: number): number {
        return x * 2;
      }
    }
    expect(host.loadSync(importer).instantiate({ imports: { env: new Env() } }).call('run', 10)).toBe(21);
    const namespaces = new Proxy({}, { get: (_target, name) => (name === 'env' ? { twice: (x: number) => x * 3, k: 0 } : undefined) });
    expect(host.loadSync(importer).instantiate({ imports: namespaces as never }).call('run', 10)).toBe(30);
  });

  it('names that resolve only through Object.prototype or Function.prototype stay refused', () => {
    const names = ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'toString', 'call', 'bind'];
    const module = wat(`(module ${names.map((n, i) => `(import "env" "${n}" (func $i${i}))`).join(' ')} (import "constructor" "name" (func $j)))`);
    const error = failure(() => host.loadSync(module).instantiate({ imports: { env: () => undefined } as never }));
    expect(error.code).toBe('ERR_WASM_IMPORT');
    expect((error as unknown as { missing: { module: string; name: string }[] }).missing.map((m) => `${m.module}.${m.name}`)).toEqual([
      ...names.map((n) => `env.${n}`), 'constructor.name',
    ]);
    // Own properties of the same names are grants like any other.
    const own = Object.fromEntries(names.map((n) => [n, () => undefined]));
    Object.defineProperty(own, '__proto__', { value: () => undefined, enumerable: true });
    expect(() => host.loadSync(module).instantiate({ imports: { env: own, constructor: { name: () => undefined } } as never })).not.toThrow();
    expectServes(host);
  });
});
