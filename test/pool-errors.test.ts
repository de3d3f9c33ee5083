import { afterEach, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import {
  DeadlineExceededError,
  GuestAbortError,
  PoolModuleNotFoundError,
  ReferenceCrossingError,
  ResultTooLargeError,
  SandboxClosedError,
  WasmArgumentError,
  WasmExportNotFoundError,
  WasmHost,
  WasmSandboxError,
  WasmTrapError,
} from '../src/index.js';
import { errorClassFor, fromErrorData, toErrorData } from '../src/errors.js';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

/** What a caller can see of an error: its class, code, message and own fields. */
function identity(error: Error): Record<string, unknown> {
  return { class: error.constructor, ...toPlain(error), message: error.message };
}

function toPlain(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(error)) out[key] = (error as unknown as Record<string, unknown>)[key];
  return out;
}

describe('pool errors keep their class and code across the thread boundary', () => {
  it('guest failures in a worker are the same class, code, message and fields as in-process', async () => {
    pool = await createPool({ modules: { trap: guestPath('trap'), abort: guestPath('abort'), add: guestPath('add') }, threads: 1 });
    const host = new WasmHost();
    const trap = (await host.load(guestPath('trap'), { label: 'trap' })).instantiate();
    const abort = (await host.load(guestPath('abort'), { label: 'abort' })).instantiate();
    const add = (await host.load(guestPath('add'), { label: 'add' })).instantiate();
    const cases: [Promise<unknown>, () => unknown, new (...args: never[]) => Error][] = [
      [pool.call('trap', 'divide', 1, 0), () => trap.call('divide', 1, 0), WasmTrapError],
      [pool.call('trap', 'loadAt', 0xfffffff0), () => trap.call('loadAt', 0xfffffff0), WasmTrapError],
      [pool.call('abort', 'checkPositive', -5), () => abort.call('checkPositive', -5), GuestAbortError],
      [pool.call('add', 'subtract', 1, 2), () => add.call('subtract', 1, 2), WasmExportNotFoundError],
      [pool.call('add', 'add', '1', 2), () => add.call('add', '1', 2), WasmArgumentError],
    ];
    for (const [remote, local, Class] of cases) {
      const there = await rejection(remote);
      const here = thrown(local);
      expect(there).toBeInstanceOf(Class);
      expect(there).toBeInstanceOf(WasmSandboxError);
      expect(identity(there)).toEqual(identity(here));
    }
    const trapped = (await rejection(pool.call('trap', 'divide', 1, 0))) as WasmTrapError;
    expect(trapped.kind).toBe('divide_by_zero');
    expect(trapped.guestStack[0]?.name).toBe('assembly/trap/divide');
  });

  it('a pool deadline is a DeadlineExceededError, queued or running', async () => {
    pool = await createPool({ modules: { spin: { source: guestPath('spin'), instrument: { deadline: true } } }, threads: 1 });
    const queued = await rejection(pool.invoke('spin', 'spinForever', [], { timeoutMs: 1 }));
    expect(queued).toBeInstanceOf(DeadlineExceededError);
    expect(queued).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', timeoutMs: 1 });
    await pool.ready();
    // Decided in the worker: the call reaches it after its deadline (behind a longer call), and
    // this thread is kept busy so that the worker's answer arrives before this thread's timer.
    const ahead = pool.call('spin', 'spin', 5_000_000);
    const late = rejection(pool.invoke('spin', 'spin', [1], { timeoutMs: 1 }));
    const busyUntil = performance.now() + 300;
    while (performance.now() < busyUntil);
    await ahead;
    expect(await late).toBeInstanceOf(DeadlineExceededError);
    expect(await late).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', timeoutMs: 1, message: 'spin: call exceeded its deadline of 1 ms; it had not started and will not run' });
    const running = await rejection(pool.invoke('spin', 'spinForever', [], { timeoutMs: 50 }));
    expect(running).toBeInstanceOf(DeadlineExceededError);
    expect(running).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', timeoutMs: 50 });
    expect(await pool.call('spin', 'spin', 3)).toBe(3);
  });

  it('failures that borrowed another class have their own: unknown module, closed sandbox, oversized result', async () => {
    pool = await createPool({ modules: { sum: guestPath('sum'), add: guestPath('add') }, threads: 1, ringBytes: 64 * 1024 });
    const unknown = await rejection(pool.call('nope', 'add', 1, 2));
    expect(unknown).toBeInstanceOf(PoolModuleNotFoundError);
    expect(unknown).toMatchObject({ code: 'ERR_POOL_MODULE_NOT_FOUND', moduleId: 'nope', available: ['sum', 'add'] });
    expect(() => pool!.openSandbox('nope')).toThrow(PoolModuleNotFoundError);

    const tenant = pool.openSandbox('add');
    expect(await tenant.call('add', 1, 2)).toBe(3);
    await tenant.close();
    const closed = await rejection(tenant.call('add', 1, 2));
    expect(closed).toBeInstanceOf(SandboxClosedError);
    expect(closed).toMatchObject({ code: 'ERR_SANDBOX_CLOSED', sandbox: tenant.id });

    // 10,000 doubles (80,000 bytes) cannot come back through a 64 KiB response ring.
    const oversized = await rejection(pool.invoke('sum', 'squares', [10_000], { signature: { params: ['i32'], result: 'Float64Array' } }));
    expect(oversized).toBeInstanceOf(ResultTooLargeError);
    expect(oversized).toMatchObject({ code: 'ERR_POOL_RESULT_TOO_LARGE', ringBytes: 64 * 1024 });
    expect((oversized as ResultTooLargeError).resultBytes).toBeGreaterThan(80_000);
    expect(await pool.call('add', 'add', 40, 2)).toBe(42);
  });

  it('references (externref, funcref) cannot cross threads: ERR_POOL_REFERENCE, not a copy or undefined', async () => {
    pool = await createPool({ modules: { refs: guestPath('references') }, threads: 1 });
    const object = { kept: 'by identity' };
    for (const [exportName, args] of [['identity', [object]], ['doubler', []], ['isNull', [null]], ['identity', [7]]] as const) {
      const error = await rejection(pool.invoke('refs', exportName, args));
      expect(error).toBeInstanceOf(ReferenceCrossingError);
      expect(error).toMatchObject({ code: 'ERR_POOL_REFERENCE', exportName, message: expect.stringMatching(new RegExp(`refs: ${exportName}\\(\\) (takes|returns) a reference`)) });
    }
    // The same exports work in-process, where the reference stays itself.
    const local = (await new WasmHost().load(guestPath('references'))).instantiate();
    expect(local.call('identity', object)).toBe(object);
    expect((local.call('doubler') as (n: number) => number)(21)).toBe(42);
    expect(await pool.call('refs', 'double', 21)).toBe(42);
  });

  it('every exported error class is in the code → class table, and its data rebuilds it', () => {
    const classes = Object.values(api).filter(
      (value): value is new (message: string) => WasmSandboxError =>
        typeof value === 'function' && value.prototype instanceof WasmSandboxError && value !== api.RemoteError,
    );
    expect(classes.length).toBeGreaterThanOrEqual(19);
    const codes = new Set<string>();
    for (const Class of classes) {
      const sample = new Class('a sample');
      expect(sample.code).toMatch(/^ERR_[A-Z0-9_]+$/);
      expect(codes.has(sample.code)).toBe(false); // one code, one class
      codes.add(sample.code);
      expect(errorClassFor(sample.code)).toBe(Class);
      Object.assign(sample, { extra: [1, 'two'] });
      const rebuilt = fromErrorData(structuredClone(toErrorData(sample)));
      expect(rebuilt).toBeInstanceOf(Class);
      expect(identity(rebuilt)).toEqual(identity(sample));
    }
  });

  it('an error with a cause keeps it; an error of an unknown code comes back as a RemoteError', () => {
    const deadline = new DeadlineExceededError('late', 5, 6);
    const discarded = new api.SandboxDiscardedError('gone', { cause: deadline });
    const rebuilt = fromErrorData(structuredClone(toErrorData(discarded)));
    expect(rebuilt).toBeInstanceOf(api.SandboxDiscardedError);
    expect(rebuilt.cause).toBeInstanceOf(DeadlineExceededError);
    expect(rebuilt.cause).toMatchObject({ timeoutMs: 5, elapsedMs: 6, message: 'late' });

    const foreign = Object.assign(new TypeError('host import failed'), { code: 'ERR_MY_IMPORT' });
    const remote = fromErrorData(structuredClone(toErrorData(foreign)));
    expect(remote).toBeInstanceOf(api.RemoteError);
    expect(remote).toMatchObject({ code: 'ERR_MY_IMPORT', name: 'TypeError', message: 'host import failed' });
    // A foreign error that only borrows a known code is not passed off as that class.
    const impostor = fromErrorData(toErrorData(Object.assign(new Error('not a trap'), { code: 'ERR_WASM_TRAP' })));
    expect(impostor).not.toBeInstanceOf(WasmTrapError);
    expect(impostor).toMatchObject({ code: 'ERR_WASM_TRAP', name: 'Error' });
  });
});
