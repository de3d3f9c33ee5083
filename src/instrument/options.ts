/**
 * What a caller may ask the instrumentation engine for, and its normalised form (part of every
 * cache key). No binaryen here: the host reads options without loading the engine.
 */
import type { AllocatorRole } from './abi.js';

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
   * the built-in names (DEFAULT_ALLOCATORS: AssemblyScript's runtime and collector, C's malloc
   * family and dlmalloc, Rust and wasm-bindgen); a map replaces them:
   * `{ my_alloc: 'malloc', my_free: 'free' }` (matched against a function's full name, then its
   * last `/` segment; roles other than the six kinds name a calling convention, see
   * ALLOCATOR_ROLES). @default false
   */
  readonly allocator?: boolean | Readonly<Record<string, AllocatorRole>>;
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
  readonly allocator: Readonly<Record<string, AllocatorRole>> | false;
}

/**
 * Recognised names (a function's full name, else its last path segment) and their roles. Frees
 * of AssemblyScript's collector never pass through an export: they are found by the runtime's
 * internal names, so a module without a name section shows allocations but no frees.
 */
export const DEFAULT_ALLOCATORS: Readonly<Record<string, AllocatorRole>> = {
  // C, emscripten, dlmalloc
  malloc: 'malloc', dlmalloc: 'malloc', __alloc: 'malloc', emscripten_builtin_malloc: 'malloc',
  calloc: 'calloc', dlcalloc: 'calloc',
  realloc: 'realloc', dlrealloc: 'realloc', __realloc: 'realloc',
  free: 'free', dlfree: 'free', __free: 'free', emscripten_builtin_free: 'free',
  posix_memalign: 'posix_memalign', dlposix_memalign: 'posix_memalign',
  aligned_alloc: 'memalign', memalign: 'memalign', dlmemalign: 'memalign', emscripten_builtin_memalign: 'memalign',
  // Rust's global allocator shims and their default (__rdl_*) implementations; wasm-bindgen
  __rust_alloc: 'rust_alloc', __rust_alloc_zeroed: 'rust_alloc', __rust_dealloc: 'rust_dealloc', __rust_realloc: 'rust_realloc',
  __rdl_alloc: 'rust_alloc', __rdl_alloc_zeroed: 'rust_alloc', __rdl_dealloc: 'rust_dealloc', __rdl_realloc: 'rust_realloc',
  __wbindgen_malloc: 'rust_alloc', __wbindgen_free: 'rust_dealloc', __wbindgen_realloc: 'wbindgen_realloc',
  // AssemblyScript: objects, and the collector's frees inside the runtime
  __new: 'new', __renew: 'renew',
  '~lib/rt/tlsf/insertBlock': 'as_sweep_free',
  '~lib/rt/tlsf/freeBlock': 'as_free_block',
  '~lib/rt/tlsf/__free': 'as_collector_free',
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
