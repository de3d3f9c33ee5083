import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GuestAbortError,
  GuestAllocationFailedError,
  GuestAllocatorMissingError,
  HeapLimitError,
  WasmHost,
  WasmImportError,
  WasmInvalidError,
  WasmMemoryLimitError,
  WasmSandboxError,
  WasmTrapError,
  ProfileFormatError,
  parseSavedProfileText,
  type ModuleSource,
} from '../src/index.js';
import { guestBytes, guestPath, HEADER, name, section, tinyModule } from './helpers/guests.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-errors-'));
function file(name: string, bytes: Uint8Array | number[]): string {
  const path = join(dir, name);
  writeFileSync(path, Uint8Array.from(bytes));
  return path;
}
mkdirSync(join(dir, 'a-directory.wasm'));

async function failure(action: () => unknown): Promise<WasmSandboxError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(WasmSandboxError);
    return error as WasmSandboxError;
  }
  throw new Error('expected a failure');
}

const valid = tinyModule('f');

/** A module importing `env.memory` with no declared maximum. */
function tinyModuleImportingMemory(): Uint8Array {
  return Uint8Array.from([...HEADER, ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1])]);
}

describe('malformed module input', () => {
  const cases: { name: string; source: () => ModuleSource; code: string; message: RegExp; offset?: number }[] = [
    { name: 'empty file', source: () => file('empty.wasm', []), code: 'ERR_WASM_INVALID', message: /empty\.wasm is not a valid WebAssembly module: BufferSource argument is empty/ },
    { name: 'wrong magic', source: () => file('magic.wasm', [0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]), code: 'ERR_WASM_INVALID', message: /expected magic word 00 61 73 6d, found 7f 45 4c 46 \(at byte 0\)/, offset: 0 },
    { name: 'wrong version', source: () => file('version.wasm', [0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), code: 'ERR_WASM_INVALID', message: /expected version 01 00 00 00, found 02 00 00 00 \(at byte 4\)/, offset: 4 },
    { name: 'truncated module', source: () => file('truncated.wasm', [...valid.subarray(0, valid.length - 3)]), code: 'ERR_WASM_INVALID', message: /truncated\.wasm is not a valid WebAssembly module: .*(past end|end of)/ },
    { name: 'path that does not exist', source: () => join(dir, 'missing.wasm'), code: 'ERR_WASM_SOURCE', message: /cannot read module .*missing\.wasm: no such file; check the path/ },
    { name: 'a directory', source: () => join(dir, 'a-directory.wasm'), code: 'ERR_WASM_SOURCE', message: /it is a directory; pass the path of a \.wasm file inside it/ },
    { name: 'a file: URL that does not exist', source: () => new URL(`file://${join(dir, 'nope.wasm')}`), code: 'ERR_WASM_SOURCE', message: /no such file/ },
    { name: 'an unsupported URL scheme', source: () => 'ftp://example.invalid/m.wasm', code: 'ERR_WASM_SOURCE', message: /cannot load a module from ftp: URLs/ },
    { name: 'a value that is not a source', source: () => 42 as unknown as ModuleSource, code: 'ERR_WASM_SOURCE', message: /cannot load a module from number: pass a file path, a URL, a Uint8Array or an ArrayBuffer/ },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const error = await failure(() => new WasmHost().load(c.source()));
      expect(error.code).toBe(c.code);
      expect(error.message).toMatch(c.message);
      if (c.offset !== undefined) expect((error as WasmInvalidError).offset).toBe(c.offset);
      if (c.code === 'ERR_WASM_INVALID') expect((error as WasmInvalidError).reason.length).toBeGreaterThan(5);
    });
  }

  it('reports the byte offset V8 gives for a corrupt body', async () => {
    const corrupt = Uint8Array.from(valid);
    corrupt[corrupt.length - 2] = 0xff; // an opcode V8 does not know, inside the function body
    const error = (await failure(() => new WasmHost().load(corrupt))) as WasmInvalidError;
    expect(error.code).toBe('ERR_WASM_INVALID');
    expect(error.offset).toBe(corrupt.length - 2);
    expect(error.message).toMatch(/\(at byte \d+\)/);
  });
});

describe('imports', () => {
  it('a module importing what was not granted fails naming every missing module.field and kind', async () => {
    const module = await new WasmHost().load(guestPath('imports'));
    const error = (await failure(() => module.instantiate())) as WasmImportError;
    expect(error.code).toBe('ERR_WASM_IMPORT');
    expect(error.message).toBe(
      'imports.wasm imports 4 values that were not granted: host.memory (memory (1..4 pages)), host.table (table of funcref), ' +
        'host.scale (global i32), host.log (function (i32) -> nil); pass each as imports.<module>.<name>',
    );
    expect([error.importModule, error.importName, error.kind]).toEqual(['host', 'memory', 'memory']);
    expect(error.missing.map((m) => `${m.module}.${m.name}:${m.kind}`)).toEqual(['host.memory:memory', 'host.table:table', 'host.scale:global', 'host.log:function']);
    const one = (await failure(() =>
      module.instantiate({ imports: { host: { memory: new WebAssembly.Memory({ initial: 1, maximum: 4 }), table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), scale: 3 } } }),
    )) as WasmImportError;
    expect(one.message).toBe('imports.wasm imports host.log (function (i32) -> nil), which was not granted; pass it as imports.host.log to grant it');
  });

  it('a granted value of the wrong kind is refused', async () => {
    const module = await new WasmHost().load(guestPath('imports'));
    const error = (await failure(() =>
      module.instantiate({
        imports: {
          host: {
            memory: new WebAssembly.Memory({ initial: 1, maximum: 4 }),
            table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }),
            scale: 3,
            log: 'not a function',
          },
        },
      }),
    )) as WasmImportError;
    expect(error.code).toBe('ERR_WASM_IMPORT');
    expect(error.message).toMatch(/imports host\.log as a function \(i32\) -> nil, but the granted value is a string/);
  });

  it('a granted memory without the maximum the module declares is refused as an import that does not fit', async () => {
    const module = await new WasmHost().load(guestPath('imports'));
    const error = await failure(() =>
      module.instantiate({
        imports: {
          host: {
            memory: new WebAssembly.Memory({ initial: 1 }), // no maximum
            table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }),
            scale: 3,
            log: () => undefined,
          },
        },
      }),
    );
    expect(error.code).toBe('ERR_WASM_IMPORT');
    expect(error.message).toMatch(/^imports\.wasm: the value granted as host\.memory does not fit the module's import \(memory \(1\.\.4 pages\)\): has no maximum limit/);
    // Where only the host's cap asks for a maximum, the limit is named instead.
    const capped = await new WasmHost().load(tinyModuleImportingMemory(), { memoryLimitPages: 8 });
    const limit = await failure(() => capped.instantiate({ imports: { env: { memory: new WebAssembly.Memory({ initial: 1 }) } } }));
    expect(limit.code).toBe('ERR_WASM_MEMORY_LIMIT');
    expect(limit.message).toMatch(/env\.memory may grow past the sandbox limit of 8 pages.*create it with maximum <= 8/);
  });

  it('an AssemblyScript-named import with another signature gets no stand-in', async () => {
    const module = await new WasmHost().load(
      Uint8Array.from([
        0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
        1, 4, 1, 0x60, 0, 0, // type ()->()
        2, 13, 1, 3, 0x65, 0x6e, 0x76, 5, 0x61, 0x62, 0x6f, 0x72, 0x74, 0, 0, // import env.abort (func type 0)
      ]),
    );
    const error = await failure(() => module.instantiate());
    expect(error.code).toBe('ERR_WASM_IMPORT');
    expect(error.message).toMatch(/imports env\.abort \(function \(\) -> nil\), which was not granted/);
  });
});

describe('exports and arguments', () => {
  it('an unknown export lists the available ones', async () => {
    const sandbox = (await new WasmHost().load(guestPath('add'))).instantiate();
    const error = await failure(() => sandbox.call('subtract', 1, 2));
    expect(error.code).toBe('ERR_WASM_EXPORT_NOT_FOUND');
    expect(error.message).toBe('add.wasm has no export named "subtract"; functions it exports: add, addI64, addF32, addF64, sum4, sum6');
  });

  it('a non-function export is not callable', async () => {
    const sandbox = (await new WasmHost().load(guestPath('add'))).instantiate();
    const error = await failure(() => sandbox.call('memory'));
    expect(error.code).toBe('ERR_WASM_EXPORT_NOT_FOUND');
    expect(error.message).toMatch(/exports a memory, not a function, named "memory"/);
  });

  const argumentCases: { args: unknown[]; export: string; message: RegExp }[] = [
    { export: 'add', args: [1], message: /add\(\) takes 2 arguments \(i32, i32\), got 1/ },
    { export: 'add', args: [1, 2, 3], message: /takes 2 arguments \(i32, i32\), got 3/ },
    { export: 'add', args: ['1', 2], message: /argument 1: expected a number for i32, got the string "1"/ },
    { export: 'add', args: [1.5, 2], message: /argument 1: expected an integer in \[-2\^31, 2\^32\) for i32, got 1\.5/ },
    { export: 'add', args: [2 ** 32, 2], message: /got 4294967296/ },
    { export: 'addI64', args: [1, 2n], message: /argument 1: expected a BigInt for i64, got the number 1 \(write 1n\)/ },
    { export: 'addI64', args: [2n ** 64n, 2n], message: /expected a BigInt in \[-2\^63, 2\^64\)/ },
    { export: 'addF64', args: [1, null], message: /argument 2: expected a number for f64, got null/ },
  ];
  for (const c of argumentCases) {
    it(`${c.export}(${c.args.map(String).join(', ')}) → ERR_WASM_ARGUMENT`, async () => {
      const sandbox = (await new WasmHost().load(guestPath('add'))).instantiate();
      const error = await failure(() => sandbox.call(c.export, ...c.args));
      expect(error.code).toBe('ERR_WASM_ARGUMENT');
      expect(error.message).toMatch(c.message);
    });
  }

  it('the fast path turns V8 conversion failures into ERR_WASM_ARGUMENT', async () => {
    const sandbox = (await new WasmHost().load(guestPath('add'))).instantiate();
    const error = await failure(() => sandbox.fn('addI64')(1, 2));
    expect(error.code).toBe('ERR_WASM_ARGUMENT');
    expect(error.message).toMatch(/addI64\(\): Cannot convert 1 to a BigInt/);
  });
});

describe('traps', () => {
  const trapCases: { export: string; args: unknown[]; kind: string; frame: string | RegExp; guest?: string }[] = [
    { export: 'unreachableTrap', args: [], kind: 'unreachable', frame: 'assembly/trap/unreachableTrap' },
    { export: 'divide', args: [1, 0], kind: 'divide_by_zero', frame: 'assembly/trap/divide' },
    { export: 'divide', args: [-(2 ** 31), -1], kind: 'integer_overflow', frame: 'assembly/trap/divide' },
    { export: 'loadAt', args: [0xfffffff0], kind: 'out_of_bounds', frame: 'assembly/trap/loadAt' },
    { export: 'recurse', args: [0], kind: 'stack_overflow', frame: 'assembly/trap/recurse' },
    { guest: 'indirect', export: 'callSlot', args: [0, 3], kind: 'indirect_call_mismatch', frame: 'func[2]' },
    { guest: 'indirect', export: 'callSlot', args: [7, 3], kind: 'table_out_of_bounds', frame: 'func[2]' },
  ];
  for (const c of trapCases) {
    it(`${c.export}(${c.args.join(', ')}) traps with kind ${c.kind} and a named guest stack`, async () => {
      const sandbox = (await new WasmHost().load(guestPath(c.guest ?? 'trap'))).instantiate();
      const error = (await failure(() => sandbox.call(c.export, ...c.args))) as WasmTrapError;
      expect(error.code).toBe('ERR_WASM_TRAP');
      expect(error.kind).toBe(c.kind);
      expect(error.guestStack[0]?.name).toBe(c.frame);
      expect(error.guestStack[0]?.offset).toBeGreaterThan(0);
      expect(error.message).toContain(`${c.export}() trapped`);
      // The host keeps serving: the same sandbox answers the next call.
      if (c.guest === undefined) expect(sandbox.call('divide', 84, 2)).toBe(42);
      else expect(sandbox.call('callSlot', 1, 21)).toBe(42);
    });
  }

  it('records each failed call under its code in the profile', async () => {
    const module = await new WasmHost().load(guestPath('trap'));
    const sandbox = module.instantiate();
    for (let i = 0; i < 3; i++) await failure(() => sandbox.call('divide', 1, 0));
    sandbox.call('divide', 4, 2);
    const divide = module.profile().exports.find((e) => e.name === 'divide')!;
    expect(divide).toMatchObject({ calls: 4, ok: 1, errors: { ERR_WASM_TRAP: 3 } });
  });
});

describe('memory limit', () => {
  it('refuses a module whose initial memory is over the limit', async () => {
    const error = (await failure(() => new WasmHost().load(tinyModule('f', { min: 20 }), { memoryLimitPages: 10, label: 'big.wasm' }))) as WasmMemoryLimitError;
    expect(error.code).toBe('ERR_WASM_MEMORY_LIMIT');
    expect(error.message).toBe('big.wasm needs 20 pages of memory at start, over the limit of 10 pages; raise memoryLimitPages to at least 20');
    expect([error.limitPages, error.requestedPages]).toEqual([10, 20]);
  });

  it("policy 'refuse' rejects a module declaring no maximum, or a larger one", async () => {
    const host = new WasmHost({ memoryPolicy: 'refuse', memoryLimitPages: 16 });
    const none = await failure(() => host.load(guestPath('grow')));
    expect(none.code).toBe('ERR_WASM_MEMORY_LIMIT');
    expect(none.message).toMatch(/grow\.wasm declares no memory maximum, over the limit of 16 pages; rebuild it with a maximum <= 16/);
    const larger = await failure(() => host.load(guestPath('huge-memory')));
    expect(larger.message).toMatch(/declares a memory maximum of 65536 pages/);
    const within = await host.load(tinyModule('f', { min: 1, max: 16 }));
    expect(within.profile().memory.capped).toBe(false);
  });

  it("policy 'cap' (default) makes growth past the limit fail as memory.grow → -1", async () => {
    const module = await new WasmHost().load(guestPath('huge-memory'), { memoryLimitPages: 8 });
    expect(module.profile().memory).toMatchObject({ capped: true, declaredMaximumPages: 65536, limitPages: 8 });
    const grow = (await new WasmHost().load(guestPath('grow'), { memoryLimitPages: 8 })).instantiate();
    expect(grow.call('grow', 9)).toBe(-1);
    expect(grow.call('growUntilFail')).toBe(8);
    expect(grow.call('grow', 1)).toBe(-1);
    expect(grow.call('touchLast')).toBe(42);
    expect(grow.memoryBytes).toBe(8 * 65536);
  });

  it('an AssemblyScript allocation failing at the limit is reported as ERR_WASM_MEMORY_LIMIT', async () => {
    const sandbox = (await new WasmHost().load(guestPath('alloc'), { memoryLimitPages: 32 })).instantiate();
    const error = (await failure(() => {
      for (let i = 0; i < 1000; i++) sandbox.call('leak', 64, 4096);
    })) as WasmMemoryLimitError;
    expect(error.code).toBe('ERR_WASM_MEMORY_LIMIT');
    expect(error.message).toMatch(/leak\(\) trapped with guest memory at the limit of 32 pages \(an allocation most likely failed\)/);
    expect((error.cause as WasmTrapError).kind).toBe('unreachable');
  });
});

describe('guest abort', () => {
  it('decodes the message, file, line and column', async () => {
    const sandbox = (await new WasmHost().load(guestPath('abort'))).instantiate();
    const error = (await failure(() => sandbox.call('checkPositive', -5))) as GuestAbortError;
    expect(error.code).toBe('ERR_GUEST_ABORT');
    expect(error.guestMessage).toBe('expected a positive number, got -5');
    expect(error.file).toBe('assembly/abort.ts');
    expect([error.line, error.column]).toEqual([4, 15]);
    expect(error.message).toBe('abort.wasm: checkPositive(): guest aborted: expected a positive number, got -5 at assembly/abort.ts:4:15');
    expect(sandbox.call('checkPositive', 5)).toBe(5);
  });
});

describe('options', () => {
  it('names the offending option', () => {
    expect(() => new WasmHost({ memoryLimitPages: -1 })).toThrow(/options\.memoryLimitPages must be an integer number of 64 KiB pages in \[0, 65536\], got -1/);
    expect(() => new WasmHost({ cache: { maxEntries: 1.5 } })).toThrow(/options\.cache\.maxEntries must be a non-negative integer/);
    expect(() => new WasmHost({ timing: { sampleInterval: 0 } })).toThrow(/options\.timing\.sampleInterval must be a positive integer/);
    try {
      new WasmHost({ memoryPolicy: 'maybe' as 'cap' });
    } catch (error) {
      expect((error as WasmSandboxError).code).toBe('ERR_INVALID_OPTION');
    }
  });
});

describe('saved profiles', () => {
  const cases: { name: string; text: string; reason: string }[] = [
    { name: 'not JSON', text: 'nope', reason: 'not-json' },
    { name: 'an unknown schema', text: '{"schema":"pprof"}', reason: 'unknown-schema' },
    { name: 'a newer schema', text: '{"schema":"wasm-sandbox/saved-profile@2"}', reason: 'newer-schema' },
    { name: 'a shape that does not match', text: '{"schema":"wasm-sandbox/saved-profile@1"}', reason: 'malformed' },
  ];
  for (const c of cases) {
    it(`${c.name} → ERR_PROFILE_FORMAT (${c.reason})`, async () => {
      const error = (await failure(() => parseSavedProfileText(c.text, 'p.json'))) as ProfileFormatError;
      expect(error).toBeInstanceOf(ProfileFormatError);
      expect(error.code).toBe('ERR_PROFILE_FORMAT');
      expect(error.reason).toBe(c.reason);
      expect(error.message).toMatch(/^p\.json /);
    });
  }
});

describe('memory profiling errors (issue 10)', () => {
  const cases: { name: string; make: () => WasmSandboxError; code: string; fields: Record<string, unknown> }[] = [
    { name: 'heap guard', make: () => new HeapLimitError('over', 'maxPeakBytes', 10, 20, [{ stack: 'f → g', bytes: 20 }]), code: 'ERR_HEAP_LIMIT', fields: { limit: 'maxPeakBytes', allowedBytes: 10, actualBytes: 20, sites: [{ stack: 'f → g', bytes: 20 }] } },
    { name: 'no guest allocator', make: () => new GuestAllocatorMissingError('none', ['malloc', 'free']), code: 'ERR_GUEST_NO_ALLOCATOR', fields: { wanted: ['malloc', 'free'] } },
    { name: 'guest allocation failed', make: () => new GuestAllocationFailedError('oom', 4096), code: 'ERR_GUEST_ALLOCATION_FAILED', fields: { requestedBytes: 4096 } },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}, a WasmSandboxError with its fields`, () => {
      const error = c.make();
      expect(error).toBeInstanceOf(WasmSandboxError);
      expect(error.code).toBe(c.code);
      expect(error).toMatchObject(c.fields);
    });
  }
});

void guestBytes;

describe('compare inputs', () => {
  it('profiles of different units, and two builds whose export differs, are ERR_COMPARE_INPUT naming both', async () => {
    const { compareProfiles, profileFromFolded, runInterleaved, CompareInputError } = await import('../src/index.js');
    const folded = profileFromFolded('main 1\n', 'a.folded');
    const timed = profileFromFolded('main 1\n', 'b.folded', 'nanoseconds');
    const error = await failure(() => compareProfiles(folded, timed));
    expect(error).toBeInstanceOf(CompareInputError);
    expect(error.code).toBe('ERR_COMPARE_INPUT');
    expect(error.message).toBe('a.folded weighs samples, b.folded nanoseconds: profile both in the same mode');
    const host = new WasmHost();
    const missing = await failure(() => runInterleaved(host, guestPath('add'), guestPath('fib'), 'add', [1, 2]));
    expect(missing.code).toBe('ERR_COMPARE_INPUT');
    expect(missing.message).toBe('fib.wasm has no function export "add"');
  });
});
