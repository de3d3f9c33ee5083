import { describe, expect, it } from 'vitest';
import { capLimits, parseModule, functionName, BinaryFormatError } from '../src/wasm/wasm-binary.js';
import { inspectParsed } from '../src/host/inspect.js';
import { guestBytes, tinyModule } from './helpers/guests.js';

describe('wasm binary reader', () => {
  it('reads signatures of every export of an AssemblyScript guest', () => {
    const info = inspectParsed(parseModule(guestBytes('add')));
    const types = Object.fromEntries(info.exports.filter((e) => e.kind === 'function').map((e) => [e.name, e.type]));
    expect(types).toEqual({
      add: '(i32, i32) -> i32',
      addI64: '(i64, i64) -> i64',
      addF32: '(f32, f32) -> f32',
      addF64: '(f64, f64) -> f64',
      sum4: '(i32, i32, i32, i32) -> i32',
      sum6: '(i32, i32, i32, i32, i32, i32) -> i32',
    });
    expect(info.memories).toEqual([{ min: 0, max: undefined, shared: false, index64: false, imported: false }]);
    expect(info.hasNameSection).toBe(true);
    expect(info.assemblyScriptRuntime).toBe(false);
  });

  it('reads imports of every kind with their types', () => {
    const info = inspectParsed(parseModule(guestBytes('imports')));
    expect(info.imports.map((i) => [`${i.module}.${i.name}`, i.kind, i.type])).toEqual([
      ['host.memory', 'memory', 'memory 1..4 pages'],
      ['host.table', 'table', 'table funcref 1..∞ entries'],
      ['host.scale', 'global', 'global i32'],
      ['host.log', 'function', '(i32) -> nil'],
    ]);
    expect(info.hasNameSection).toBe(false);
    expect(info.memories[0]).toMatchObject({ min: 1, max: 4, imported: true });
  });

  it('recognises the AssemblyScript runtime and exported globals', () => {
    const info = inspectParsed(parseModule(guestBytes('strings')));
    expect(info.assemblyScriptRuntime).toBe(true);
    expect(info.exports.find((e) => e.name === 'ArrayI32_ID')?.type).toBe('global i32');
    expect(info.imports.map((i) => `${i.module}.${i.name}:${i.type}`)).toEqual(['env.abort:(i32, i32, i32, i32) -> nil']);
  });

  it('names functions from the name section, else by index', () => {
    const named = parseModule(guestBytes('fib'));
    const fibIndex = named.exports.find((e) => e.name === 'fib')!.index;
    expect(functionName(named, fibIndex)).toBe('assembly/fib/fib');
    const anonymous = parseModule(guestBytes('indirect'));
    expect(functionName(anonymous, 2)).toBe('func[2]');
    expect(functionName(parseModule(guestBytes('imports')), 0)).toBe('import:host.log');
  });

  it('reports where it cannot follow the bytes', () => {
    expect(() => parseModule(new Uint8Array([0, 0x61, 0x73, 0x6d]))).toThrow(BinaryFormatError);
    expect(() => parseModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).toThrow(/header at byte 4/);
    const truncated = tinyModule('f').subarray(0, 18);
    expect(() => parseModule(truncated)).toThrow(/runs past the end/);
  });
});

describe('capLimits (memory)', () => {
  it('adds a maximum where none was declared, and V8 then refuses growth past it', () => {
    const original = tinyModule('f', { min: 1 });
    const capped = capLimits(original, parseModule(original), 3, 1_000_000);
    // The memory section goes from [05 03 01 00 01] to [05 04 01 01 01 03]: one byte longer.
    expect(capped.length).toBe(original.length + 1);
    expect([...capped].join(',')).toContain([5, 4, 1, 1, 1, 3].join(','));
    expect(parseModule(capped).memories).toEqual([{ min: 1, max: 3, shared: false, index64: false }]);
    const memory = new WebAssembly.Instance(new WebAssembly.Module(capped)).exports;
    expect(Object.keys(memory)).toEqual(['f']);
  });

  it('lowers a larger maximum, with multi-byte LEB128 sizes, and keeps every other byte', () => {
    const original = tinyModule('f', { min: 2, max: 65536 });
    const capped = capLimits(original, parseModule(original), 200, 1_000_000);
    expect(parseModule(capped).memories[0]).toEqual({ min: 2, max: 200, shared: false, index64: false });
    // 65536 takes 3 LEB bytes, 200 takes 2: one byte shorter, sections before and after unchanged.
    expect(capped.length).toBe(original.length - 1);
    expect(WebAssembly.validate(capped)).toBe(true);
  });

  it('returns the same bytes when the declared maximum is already within the limit', () => {
    const original = tinyModule('f', { min: 1, max: 2 });
    expect(capLimits(original, parseModule(original), 10, 1_000_000)).toBe(original);
  });

  it('caps a real guest so that memory.grow past the limit returns -1', () => {
    const original = guestBytes('grow');
    const capped = capLimits(original, parseModule(original), 5, 1_000_000);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(capped)).exports as Record<string, (n?: number) => number>;
    expect(exports.grow!(5)).toBe(0);
    expect(exports.grow!(1)).toBe(-1);
    expect(exports.pages!()).toBe(5);
  });
});
