/**
 * What a caller may ask the instrumentation engine for, and its normalised form (part of every
 * cache key). No binaryen here: the host reads options without loading the engine.
 */
import type { AllocationKind } from './abi.js';

export interface InstrumentOptions {
  /** Count instructions per region and check them at function entries and loop headers. @default false */
  readonly fuel?: boolean;
  /** Check points that poll the deadline and interrupt flag (implied by `fuel`). @default false */
  readonly deadline?: boolean;
  /** Per-function call and instruction counters, kept in wasm globals. @default false */
  readonly counters?: boolean;
  /** Entry/exit calls to the host on every path into and out of each function. @default false */
  readonly hooks?: boolean;
  /** Every load and store reports its address and size to the host (slow: an analysis mode). @default false */
  readonly memory?: boolean;
  /**
   * Direct calls to allocator functions report size, pointer and calling function. `true` uses
   * the built-in names (AssemblyScript's runtime, C's malloc family); a map replaces them:
   * `{ my_alloc: 'malloc', my_free: 'free' }` (matched against a function's name or its last
   * `/` segment). @default false
   */
  readonly allocator?: boolean | Readonly<Record<string, AllocationKind>>;
  /**
   * When the engine cannot rewrite a module (ERR_WASM_INSTRUMENTATION): `error` fails the load,
   * `plain` loads the module as it is, without these passes (`module.instrumentationRefused`
   * says why). Deadline-only loads fall back to V8 termination either way. @default 'error'
   */
  readonly fallback?: 'error' | 'plain';
}

export interface NormalizedInstrumentOptions {
  readonly fuel: boolean;
  readonly deadline: boolean;
  readonly counters: boolean;
  readonly hooks: boolean;
  readonly memory: boolean;
  /** Allocator names and kinds, or false. */
  readonly allocator: Readonly<Record<string, AllocationKind>> | false;
}

/** Recognised names (the last path segment of a function's name) and their kinds. */
export const DEFAULT_ALLOCATORS: Readonly<Record<string, AllocationKind>> = {
  malloc: 'malloc', dlmalloc: 'malloc', __alloc: 'malloc',
  calloc: 'calloc', dlcalloc: 'calloc',
  realloc: 'realloc', dlrealloc: 'realloc', __realloc: 'realloc',
  free: 'free', dlfree: 'free', __free: 'free',
  __new: 'new', __renew: 'renew',
};

export function normalizeInstrumentOptions(options: InstrumentOptions): NormalizedInstrumentOptions {
  return {
    fuel: options.fuel === true,
    deadline: options.deadline === true || options.fuel === true,
    counters: options.counters === true,
    hooks: options.hooks === true,
    memory: options.memory === true,
    allocator: options.allocator === true ? DEFAULT_ALLOCATORS : options.allocator === undefined || options.allocator === false ? false : { ...options.allocator },
  };
}

export function wantsInstrumentation(options: NormalizedInstrumentOptions): boolean {
  return options.fuel || options.deadline || options.counters || options.hooks || options.memory || options.allocator !== false;
}
