import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProfile, WasmHost, WasmSandboxError, type ModuleProfile } from '../src/index.js';
import { guestBytes, guestPath, name, section, tinyModule } from './helpers/guests.js';
import { failure } from './helpers/failures.js';
import { wat } from './helpers/modules.js';

function grantsForImports(log: (x: number) => void = () => undefined) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  new Uint8Array(memory.buffer)[100] = 77;
  return {
    memory,
    imports: { host: { memory, table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), scale: 3, log } },
  };
}

describe('loading', () => {
  it('loads the same module from a path, bytes, an ArrayBuffer, a file: URL and a data: URL with one compile', async () => {
    const host = new WasmHost();
    const bytes = guestBytes('add');
    const sources = [
      guestPath('add'),
      bytes,
      bytes.slice().buffer,
      pathToFileURL(guestPath('add')),
      `data:application/wasm;base64,${Buffer.from(bytes).toString('base64')}`,
    ];
    const modules = [];
    for (const source of sources) modules.push(await host.load(source));
    expect(new Set(modules.map((m) => m.id)).size).toBe(1);
    expect(modules.map((m) => m.instantiate().call('add', 40, 2))).toEqual([42, 42, 42, 42, 42]);
    expect(host.cacheStats()).toMatchObject({ misses: 1, hits: 4, entries: 1 });
    expect(modules.map((m) => m.profile().coldStart.cache)).toEqual(['miss', 'hit', 'hit', 'hit', 'hit']);
    expect(modules.map((m) => m.label)).toEqual(['add.wasm', '<bytes>', '<bytes>', 'add.wasm', 'data: URL']);
  });

  it('loads over http from a loopback server and reports HTTP failures', async () => {
    const bytes = guestBytes('fib');
    const server = createServer((request, response) => {
      if (request.url === '/fib.wasm') {
        response.writeHead(200, { 'content-type': 'application/wasm' });
        response.end(bytes);
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const module = await new WasmHost().load(`http://127.0.0.1:${port}/fib.wasm`);
      expect(module.instantiate().call('fib', 20)).toBe(6765);
      await expect(new WasmHost().load(`http://127.0.0.1:${port}/missing.wasm`)).rejects.toMatchObject({
        code: 'ERR_WASM_SOURCE',
        message: `cannot fetch module http://127.0.0.1:${port}/missing.wasm: HTTP 404 Not Found`,
      });
    } finally {
      server.close();
    }
  });

  it('compiles once for concurrent loads of the same bytes', async () => {
    const host = new WasmHost();
    const bytes = guestBytes('strings');
    const modules = await Promise.all(Array.from({ length: 8 }, () => host.load(bytes)));
    expect(host.cacheStats()).toMatchObject({ misses: 1, entries: 1 });
    expect(host.cacheStats().hits + host.cacheStats().coalesced).toBe(7);
    expect(new Set(modules.map((m) => m.compiled)).size).toBe(1);
  });

  it('coalesces concurrent asynchronous compiles of a large module into one', async () => {
    // Over 1 MiB: compiled with WebAssembly.compile, off the thread.
    const payload = new Uint8Array(1_100_000).fill(7);
    const custom = [...section(0, [...name('padding'), ...payload])];
    const big = Uint8Array.from([...tinyModule('f'), ...custom]);
    const host = new WasmHost();
    const modules = await Promise.all(Array.from({ length: 4 }, () => host.load(big)));
    expect(host.cacheStats()).toMatchObject({ misses: 1, coalesced: 3, hits: 0, entries: 1 });
    expect(modules.map((m) => m.profile().coldStart.cache).sort()).toEqual(['coalesced', 'coalesced', 'coalesced', 'miss']);
    expect(modules[3]!.instantiate().call('f', 9)).toBe(9);
  });

  it('loadSync serves the same cache without a promise', async () => {
    const host = new WasmHost();
    const bytes = guestBytes('fib');
    const first = host.loadSync(bytes);
    const second = host.loadSync(bytes.slice().buffer);
    await host.load(guestPath('fib'));
    expect(first.compiled).toBe(second.compiled);
    expect(host.cacheStats()).toMatchObject({ misses: 1, hits: 2 });
    expect(second.instantiate().call('fib', 10)).toBe(55);
    expect(() => host.loadSync(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'ERR_WASM_INVALID' }));
  });

  it('a byte array changed in place between loads is the new module, not the remembered one', () => {
    const host = new WasmHost();
    const bytes = tinyModule('f');
    expect(host.loadSync(bytes).inspect().exports.map((e) => e.name)).toEqual(['f']);
    bytes[bytes.indexOf(0x66)] = 0x67; // the export's name: f → g
    expect(host.loadSync(bytes).inspect().exports.map((e) => e.name)).toEqual(['g']);
    expect(host.loadSync(bytes.buffer).inspect().exports.map((e) => e.name)).toEqual(['g']);
    expect(host.cacheStats()).toMatchObject({ misses: 2, hits: 1 });
  });

  it('keys the cache by content and memory limit, and evicts by entry count', async () => {
    const host = new WasmHost({ cache: { maxEntries: 2 } });
    await host.load(guestPath('add'));
    await host.load(guestPath('add'), { memoryLimitPages: 10 }); // another rewrite of the same bytes
    await host.load(guestPath('fib'));
    expect(host.cacheStats()).toMatchObject({ misses: 3, evictions: 1, entries: 2 });
  });
});

describe('sandboxing', () => {
  it('links only granted imports and lets the guest use them', async () => {
    const logged: number[] = [];
    const { imports } = grantsForImports((x) => logged.push(x));
    const sandbox = (await new WasmHost().load(guestPath('imports'))).instantiate({ imports });
    expect(sandbox.call('logScaled', 14)).toBe(42);
    expect(logged).toEqual([42]);
    expect(sandbox.call('readByte', 100)).toBe(77);
    expect(sandbox.memoryBytes).toBe(65536);
  });

  it('refuses a granted global of the wrong type, naming the import', async () => {
    const { imports } = grantsForImports();
    const module = await new WasmHost().load(guestPath('imports'));
    const bad = { host: { ...imports.host, scale: new WebAssembly.Global({ value: 'i64' }, 1n) } };
    expect(() => module.instantiate({ imports: bad })).toThrow(
      expect.objectContaining({
        code: 'ERR_WASM_IMPORT',
        message: "imports.wasm: the value granted as host.scale does not fit the module's import (global i32): imported global does not match the expected type",
      }),
    );
  });

  it('passes errors thrown by granted functions through unchanged and counts them', async () => {
    const boom = new Error('host refused');
    const { imports } = grantsForImports(() => {
      throw boom;
    });
    const module = await new WasmHost().load(guestPath('imports'));
    const sandbox = module.instantiate({ imports });
    expect(() => sandbox.call('logScaled', 1)).toThrow(boom);
    expect(module.profile().exports[0]).toMatchObject({ name: 'logScaled', calls: 1, errors: { ERR_HOST_IMPORT_THREW: 1 } });
  });

  it("unknownImports 'trap': ungranted functions become stand-ins that throw ERR_IMPORT_NOT_GRANTED when called; other kinds still refuse", async () => {
    const { imports } = grantsForImports();
    const { log: _ungranted, ...host } = imports.host;
    const module = await new WasmHost().load(guestPath('imports'));
    expect(() => module.instantiate({ imports: { host } })).toThrow(expect.objectContaining({ code: 'ERR_WASM_IMPORT', importName: 'log' }));
    const sandbox = module.instantiate({ imports: { host }, unknownImports: 'trap' });
    expect(sandbox.call('readByte', 100)).toBe(77); // exports that never reach the stand-in run
    expect(() => sandbox.call('logScaled', 2)).toThrow(
      expect.objectContaining({
        code: 'ERR_IMPORT_NOT_GRANTED', name: 'ImportNotGrantedError', importModule: 'host', importName: 'log',
        message: "imports.wasm: logScaled() called host.log (function (i32) -> nil), which was not granted (linked to a stand-in by unknownImports: 'trap'); grant it as imports.host.log",
      }),
    );
    expect(sandbox.call('readByte', 100)).toBe(77); // and the sandbox serves after it
    expect(module.profile().exports.find((e) => e.name === 'logScaled')).toMatchObject({ calls: 1, errors: { ERR_IMPORT_NOT_GRANTED: 1 } });
    // A memory, table or global has no stand-in: the module is still refused, naming it.
    const { memory: _memory, ...noMemory } = host;
    expect(() => module.instantiate({ imports: { host: noMemory }, unknownImports: 'trap' })).toThrow(expect.objectContaining({ code: 'ERR_WASM_IMPORT', importName: 'memory' }));
    expect(() => module.instantiate({ imports: { host }, unknownImports: 'stub' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('a stand-in names a hostile import escaped and shortened', async () => {
    // wat string escapes: \1b is ESC, so the names carry a terminal control sequence.
    const bytes = wat(`(module (import "evil\\1b" "\\1b[2J${'x'.repeat(400)}" (func $f)) (func (export "go") (call $f)))`);
    const sandbox = (await new WasmHost().load(bytes)).instantiate({ unknownImports: 'trap' });
    const error = failure(() => sandbox.call('go'));
    expect(error).toMatchObject({ code: 'ERR_IMPORT_NOT_GRANTED', importModule: 'evil\u001b' });
    expect(error.message).not.toContain('\u001b');
    expect(error.message.length).toBeLessThan(700);
    // Reached from the start function, the instantiation fails with it.
    const starting = await new WasmHost().load(wat('(module (import "env" "f" (func $f)) (func $s (call $f)) (start $s))'));
    expect(() => starting.instantiate({ unknownImports: 'trap' })).toThrow(expect.objectContaining({ code: 'ERR_IMPORT_NOT_GRANTED', importName: 'f' }));
  });

  it('fails instantiation with a typed trap when the start function traps', async () => {
    const module = await new WasmHost().load(guestPath('start-trap'));
    expect(() => module.instantiate()).toThrow(
      expect.objectContaining({ code: 'ERR_WASM_TRAP', kind: 'divide_by_zero', message: expect.stringContaining('start-trap.wasm: (start function) trapped') }),
    );
  });

  it('keeps state per sandbox: instances of one module do not share memory', async () => {
    const module = await new WasmHost().load(guestPath('alloc'));
    const a = module.instantiate();
    const b = module.instantiate();
    a.call('leak', 5, 16);
    expect(a.call('keptCount')).toBe(5);
    expect(b.call('keptCount')).toBe(0);
    expect(module.profile().instances).toBe(2);
  });
});

describe('AssemblyScript stand-ins', () => {
  it('routes trace() to the configured logger', async () => {
    const lines: [string, readonly number[]][] = [];
    const host = new WasmHost({ trace: (message, values) => lines.push([message, values]) });
    const sandbox = (await host.load(guestPath('abort'))).instantiate();
    sandbox.call('log', 21);
    expect(lines).toEqual([['guest says', [21, 42]]]);
  });

  it('seeds Math.random deterministically when asked', async () => {
    const module = await new WasmHost().load(guestPath('abort'));
    const draw = (seed?: number) => {
      const sandbox = module.instantiate(seed === undefined ? {} : { seed });
      return [sandbox.call('random'), sandbox.call('random'), sandbox.call('random')];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw()).not.toEqual(draw());
  });
});

describe('typed calls', () => {
  it('round-trips strings, including non-BMP characters', async () => {
    const sandbox = (await new WasmHost().load(guestPath('strings'))).instantiate();
    const reverse = sandbox.typed<string>('reverse', { params: ['string'], result: 'string' });
    expect(reverse('abc')).toBe('cba');
    expect(reverse('a😀b')).toBe('b😀a');
    expect(reverse('')).toBe('');
    const greet = sandbox.typed<string>('greet', { params: ['string'], result: 'string' });
    expect(greet('wasm')).toBe('hello, wasm!');
  });

  it('passes arrays and typed arrays in and copies them out byte for byte', async () => {
    const strings = (await new WasmHost().load(guestPath('strings'))).instantiate();
    expect(strings.typed('doubled', { params: ['Array<i32>'], result: 'Array<i32>' })([1, -2, 2 ** 30])).toEqual([2, -4, 2 ** 31 * -1]);
    expect(strings.typed('countBytes', { params: ['Int32Array'], result: 'i32' })(new Int32Array(7))).toBe(28);

    const sum = (await new WasmHost().load(guestPath('sum'))).instantiate();
    const values = Float64Array.from([1.5, -2.25, 1e300, Number.MIN_VALUE]);
    expect(sum.typed('sumF64', { params: ['Float64Array'], result: 'f64' })(values)).toBe(1.5 - 2.25 + 1e300 + Number.MIN_VALUE);
    const squares = sum.typed<Float64Array>('squares', { params: ['i32'], result: 'Float64Array' })(5);
    expect(squares).toBeInstanceOf(Float64Array);
    expect(Buffer.from(squares.buffer)).toEqual(Buffer.from(Float64Array.from([0, 1, 4, 9, 16]).buffer));
  });

  it('keeps earlier arguments alive while later ones allocate (pinning), across many calls', async () => {
    const sandbox = (await new WasmHost().load(guestPath('strings'))).instantiate();
    const reverse = sandbox.typed<string>('reverse', { params: ['string'], result: 'string' });
    const long = 'x'.repeat(5000) + 'y';
    for (let i = 0; i < 300; i++) expect(reverse(long + i)).toBe([...(long + i)].reverse().join(''));
  });

  it('copies exactly across memory growth (the runtime helpers keep views of the memory between calls)', async () => {
    const sandbox = (await new WasmHost().load(guestPath('sum'))).instantiate();
    const signature = { params: ['Float64Array'], result: 'f64' } as const;
    const sumF64 = sandbox.typed<number>('sumF64', signature);
    expect(sandbox.typed('sumF64', signature)).toBe(sumF64); // one function per export and signature object
    const pagesBefore = sandbox.memoryBytes;
    const small = Float64Array.from({ length: 16 }, (_, i) => i + 0.5);
    expect(sumF64(small)).toBe(128);
    // 2 MiB arguments make the guest grow its memory inside __new, between the header and data writes of later calls.
    for (let round = 1; round <= 4; round++) {
      const big = new Float64Array(262_144).fill(round);
      expect(sumF64(big)).toBe(262_144 * round);
      expect(sumF64(small)).toBe(128);
    }
    expect(sandbox.memoryBytes).toBeGreaterThan(pagesBefore);
    const squares = sandbox.typed<Float64Array>('squares', { params: ['i32'], result: 'Float64Array' })(4);
    expect(Array.from(squares)).toEqual([0, 1, 4, 9]);
  });

  it('counts bytes in and out exactly', async () => {
    const module = await new WasmHost().load(guestPath('sum'));
    const sandbox = module.instantiate();
    const sumF64 = sandbox.typed('sumF64', { params: ['Float64Array'], result: 'f64' });
    for (let i = 0; i < 3; i++) sumF64(new Float64Array(1000));
    sandbox.typed('squares', { params: ['i32'], result: 'Float64Array' })(10);
    const byName = Object.fromEntries(module.profile().exports.map((e) => [e.name, e]));
    expect(byName['sumF64']).toMatchObject({ calls: 3, bytesIn: 24_000, bytesOut: 0 });
    expect(byName['squares']).toMatchObject({ calls: 1, bytesIn: 0, bytesOut: 80 });
  });

  it('rejects wrong argument types and impossible signatures with typed errors', async () => {
    const sandbox = (await new WasmHost().load(guestPath('strings'))).instantiate();
    const reverse = sandbox.typed('reverse', { params: ['string'], result: 'string' });
    expect(() => reverse(5)).toThrow(expect.objectContaining({ code: 'ERR_WASM_ARGUMENT', message: 'strings.wasm: reverse(): expected a string, got a number' }));
    expect(() => sandbox.typed('reverse', { params: ['f64'], result: 'string' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/parameter 1 declared as f64 \(wasm f64\) but the export takes i32/) }),
    );
    expect(() => sandbox.typed('doubled', { params: ['Array<f64>'], result: 'Array<i32>' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/export `const ArrayF64_ID = idof<Array<f64>>\(\)`/) }),
    );
    const noRuntime = (await new WasmHost().load(guestPath('add'))).instantiate();
    expect(() => noRuntime.typed('add', { params: ['i32', 'i32'], result: 'i32' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/does not export AssemblyScript's runtime/) }),
    );
  });
});

describe('metrics', () => {
  it('counts every call of a hot export exactly while timing only a sample', async () => {
    const module = await new WasmHost().load(guestPath('add'));
    const add = module.instantiate().fn('add');
    let acc = 0;
    for (let i = 0; i < 100_000; i++) acc = add(acc, 1) as number;
    expect(acc).toBe(100_000);
    const profile = module.profile().exports[0]!;
    expect(profile.calls).toBe(100_000);
    expect(profile.ok).toBe(100_000);
    expect(profile.timing.timedCalls).toBeLessThan(100_000 / 16);
    expect(profile.timing.sampledCalls).toBeGreaterThan(1000);
    // Samples carry the weight of the calls they stand for.
    expect(Math.abs(profile.latency.count - 100_000)).toBeLessThanOrEqual(profile.timing.sampleInterval);
    expect(profile.callsPerSecond).toBeGreaterThan(0);
  });

  it("times every call with timing mode 'every'", async () => {
    const module = await new WasmHost({ timing: { mode: 'every' } }).load(guestPath('add'));
    const add = module.instantiate().fn('add');
    for (let i = 0; i < 1000; i++) add(i, 1);
    expect(module.profile().exports[0]!.timing).toMatchObject({ timedCalls: 1000, sampledCalls: 0 });
  });

  it('records memory growth events and sizes before/after', async () => {
    const module = await new WasmHost().load(guestPath('grow'), { memoryLimitPages: 100 });
    const sandbox = module.instantiate();
    const grow = sandbox.fn('grow');
    for (let i = 0; i < 10; i++) grow(2);
    for (let i = 0; i < 500; i++) grow(0);
    const profile = module.profile();
    const growth = profile.exports.find((e) => e.name === 'grow')!;
    expect(growth.calls).toBe(510);
    expect(growth.memory).toEqual({ growthEvents: 10, bytesGrown: 20 * 65536, bytesBefore: 20 * 65536, bytesAfter: 20 * 65536 });
    expect(profile.memory.peakBytes).toBe(20 * 65536);
  });

  it('reports one call with callWithMetrics, successful or not', async () => {
    const sandbox = (await new WasmHost().load(guestPath('grow'))).instantiate();
    const ok = sandbox.callWithMetrics<number>('grow', 3);
    expect(ok.value).toBe(0);
    expect(ok.metrics).toMatchObject({ export: 'grow', outcome: 'ok', memoryBytesBefore: 0, memoryBytesAfter: 3 * 65536, memoryGrew: true });
    expect(ok.metrics.latencyNs).toBeGreaterThan(0);
    const trap = (await new WasmHost().load(guestPath('trap'))).instantiate();
    const failed = trap.callWithMetrics('divide', 1, 0);
    expect(failed.value).toBeUndefined();
    expect(failed.metrics.outcome).toBe('ERR_WASM_TRAP');
    expect((failed.error as WasmSandboxError).code).toBe('ERR_WASM_TRAP');
  });

  it('produces a JSON round-trippable profile with the cold-start breakdown and cache stats', async () => {
    const host = new WasmHost();
    await host.load(guestPath('fib'));
    const module = await host.load(guestPath('fib'));
    const sandbox = module.instantiate();
    sandbox.call('fib', 15);
    sandbox.call('fib', 16);
    const profile = module.profile();
    const copy = JSON.parse(JSON.stringify(profile)) as ModuleProfile;
    expect(copy).toEqual(JSON.parse(JSON.stringify(profile)));
    expect(profile.schema).toBe('wasm-sandbox/module-profile@1');
    expect(profile.module).toEqual({ id: module.id, label: 'fib.wasm', sizeBytes: guestBytes('fib').length });
    expect(profile.module.id).toMatch(/^[0-9a-f]{64}$/);
    expect(profile.coldStart.cache).toBe('hit');
    expect(profile.coldStart.compileMs).toBe(0);
    expect(profile.coldStart.firstCallExport).toBe('fib');
    for (const key of ['readMs', 'hashMs', 'instantiateMs', 'firstCallMs'] as const) expect(profile.coldStart[key]).toBeGreaterThan(0);
    expect(profile.cache).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    expect(profile.exports).toHaveLength(1);
    expect(profile.exports[0]).toMatchObject({ name: 'fib', calls: 2, ok: 2, errors: {} });
  });

  it('formats the profile as a table and escapes hostile export names', async () => {
    const module = await new WasmHost().load(guestPath('odd-names'));
    const sandbox = module.instantiate();
    for (const info of module.inspect().exports) sandbox.call(info.name);
    const text = formatProfile(module.profile());
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\t');
    expect(text).toContain('\\x1b[31mred\\x1b[0m');
    expect(text).toContain('tab\\x09here');
    expect(text).toMatch(/export\s+calls\s+errors\s+mean\s+p50\s+p90\s+p95\s+p99\s+max/);
  });
});

describe('address-space exhaustion', () => {
  it('reports the process running out of wasm memories as ERR_WASM_MEMORY_LIMIT, not a crash', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = new URL('./fixtures/exhaust-memories.mjs', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [script.pathname], { timeout: 120_000 });
    const result = JSON.parse(stdout) as { created: number; code?: string; message?: string };
    expect(result.code).toBe('ERR_WASM_MEMORY_LIMIT');
    expect(result.message).toMatch(/could not reserve memory for another instance .*close unused sandboxes, or run guests in a worker pool/);
    expect(result.created).toBeGreaterThan(1000);
  }, 120_000);
});
