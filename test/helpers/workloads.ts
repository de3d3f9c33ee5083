import { createHash } from 'node:crypto';
import type { Sandbox } from '../../src/index.js';

/** One deterministic workload per bundled guest: what it calls, in order. */
export type Step = (sandbox: Sandbox) => unknown;

export interface Workload {
  readonly guest: string;
  readonly memoryLimitPages?: number;
  readonly sandbox?: { readonly seed?: number; readonly imports?: () => Record<string, Record<string, unknown>> };
  readonly steps: readonly Step[];
}

const call = (name: string, ...args: unknown[]): Step => (s) => s.call(name, ...args);

export const WORKLOADS: readonly Workload[] = [
  { guest: 'noop', steps: [call('noop'), call('noop')] },
  {
    guest: 'add',
    steps: [call('add', 1, 2), call('add', -5, 2 ** 31), call('addI64', 2n ** 62n, 3n), call('addF32', 0.1, 0.2), call('addF64', 0.1, 0.2), call('sum4', 1, 2, 3, 4), call('sum6', 1, 2, 3, 4, 5, 6)],
  },
  { guest: 'fib', steps: [0, 1, 2, 10, 20].map((n) => call('fib', n)) },
  {
    guest: 'sum',
    steps: [
      (s) => s.typed('sumF64', { params: ['Float64Array'], result: 'f64' })(Float64Array.from({ length: 1000 }, (_, i) => i / 3)),
      call('sumTo', 10_000),
      (s) => [...s.typed<Float64Array>('squares', { params: ['i32'], result: 'Float64Array' })(16)],
    ],
  },
  {
    guest: 'strings',
    steps: [
      (s) => s.typed('reverse', { params: ['string'], result: 'string' })('instrumented 😀 guest'),
      (s) => s.typed('greet', { params: ['string'], result: 'string' })('binaryen'),
      (s) => s.typed('doubled', { params: ['Array<i32>'], result: 'Array<i32>' })([1, 2, 3, -4]),
      (s) => s.typed('countBytes', { params: ['Int32Array'], result: 'i32' })(new Int32Array(9)),
    ],
  },
  { guest: 'alloc', steps: [call('churn', 2000, 64), call('leak', 50, 128), call('keptCount'), call('churn', 100, 4096)] },
  { guest: 'matrix', steps: [call('init', 96), call('sumRowMajor'), call('sumColumnMajor')] },
  { guest: 'spin', steps: [call('spin', 1000), call('spin', 5)] },
  { guest: 'grow', memoryLimitPages: 20, steps: [call('grow', 2), call('pages'), call('growUntilFail'), call('touchLast'), call('grow', 1)] },
  {
    guest: 'trap',
    steps: [call('divide', 7, 2), call('divide', 1, 0), call('divide', -(2 ** 31), -1), call('loadAt', 0xfffffff0), call('unreachableTrap'), call('recurse', 0), call('loadAt', 8)],
  },
  { guest: 'abort', sandbox: { seed: 1234 }, steps: [call('checkPositive', 5), call('checkPositive', -1), call('log', 3), call('random'), call('random')] },
  { guest: 'indirect', steps: [call('callSlot', 1, 21), call('callSlot', 0, 1), call('callSlot', 9, 1)] },
  {
    guest: 'imports',
    sandbox: {
      imports: () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
        new Uint8Array(memory.buffer).set([9, 8, 7], 100);
        return { host: { memory, table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), scale: 3, log: () => undefined } };
      },
    },
    steps: [call('logScaled', 14), call('readByte', 101)],
  },
  { guest: 'odd-names', steps: [call('<script>alert(1)</script>'), call('tab\there')] },
  { guest: 'huge-memory', steps: [call('pages')] },
  { guest: 'bump-allocator', steps: [call('pair', 16, 32), call('pair', 1, 2)] },
  { guest: 'exits', steps: [call('early', -3), call('early', 3), call('branchOut', 0), call('branchOut', 2), call('tail', 4), call('loopy', 5), call('boom', 1)] },
];

/** Plain, comparable outcome of one step: its value, or its error code and trap kind. */
export function outcome(step: Step, sandbox: Sandbox): unknown {
  try {
    const value = step(sandbox);
    return { ok: typeof value === 'bigint' ? `${value}n` : value };
  } catch (error) {
    const e = error as { code?: string; kind?: string; guestMessage?: string };
    return { error: e.code, kind: e.kind, guestMessage: e.guestMessage };
  }
}

export function memoryDigest(sandbox: Sandbox): string {
  const memory = sandbox.guestMemory;
  return memory === undefined ? 'no memory' : createHash('sha256').update(new Uint8Array(memory.buffer)).digest('hex');
}
