/**
 * Every name the instrumentation passes add to a guest, in one place: the imports the host
 * must provide, the globals and exports it reads, and how hook arguments are encoded. Both
 * sides import this file — the passes (which need binaryen) and the host (which must not load
 * binaryen unless it rewrites something) — so it imports nothing.
 */

/** Prefix of every name the host adds; guests cannot be granted imports under it. */
export const RESERVED_PREFIX = '__wasm_sandbox';

/** Import namespace of every host-provided import the passes add. */
export const HOST_MODULE = '__wasm_sandbox';

/** Mutable i32 global: what the guest may still execute before it must call the budget import. */
export const BUDGET_GLOBAL = '__wasm_sandbox_budget';

/** `budget(counter: i32) -> i32`: called when the counter went negative; returns the next allowance or throws. */
export const BUDGET_IMPORT = { module: HOST_MODULE, name: 'budget', internal: '__wasm_sandbox_budget_exhausted' } as const;

/**
 * `enter(profileId: i32, counter: i32)`, `exit(profileId: i32, counter: i32)`: function entry
 * and exit events; `counter` is the budget global's value at the event (0 without fuel or
 * deadlines), from which a recorder derives the instruction clock.
 */
export const HOOK_IMPORTS = {
  module: HOST_MODULE,
  enter: { name: 'enter', internal: '__wasm_sandbox_enter' },
  exit: { name: 'exit', internal: '__wasm_sandbox_exit' },
} as const;

/** Counter globals (i64), `${prefix}${profileId}` for the function with that profile id. */
export const CALLS_PREFIX = '__wasm_sandbox_calls_';
export const INSTRUCTIONS_PREFIX = '__wasm_sandbox_instr_';

/** `alloc(kind, callerId, first, second, result)` (all i32): one allocator call. */
export const ALLOCATOR_IMPORT = { module: HOST_MODULE, name: 'alloc', internal: '__wasm_sandbox_alloc' } as const;

/** What the allocator hook's first argument means, by index. */
export const ALLOCATION_KINDS = ['malloc', 'calloc', 'realloc', 'free', 'new', 'renew'] as const;
export type AllocationKind = (typeof ALLOCATION_KINDS)[number];

/**
 * Memory-access imports the memory pass adds, under HOST_MODULE (internal names are the same):
 * `load_ptr(bytes, offset, pointer) -> pointer` and `store_ptr(…)` see each access's address
 * (pointer + offset) and size and return the pointer unchanged; `memory_grow_pre(delta) -> delta`
 * and `memory_grow_post(result) -> result` frame each `memory.grow`.
 */
export const MEMORY_HOOKS = {
  load: '__wasm_sandbox_load_ptr',
  store: '__wasm_sandbox_store_ptr',
  growBefore: '__wasm_sandbox_memory_grow_pre',
  growAfter: '__wasm_sandbox_memory_grow_post',
} as const;

/** The name the host boundary (calls into host imports) gets in profiles. */
export const HOST_FRAME = '(host)';

/** The instruction oracle's exported i64 counter (oracle-pass.ts; tests and benchmarks only). */
export const ORACLE_COUNTER = '__wasm_sandbox_oracle';
