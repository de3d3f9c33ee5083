import binaryen from 'binaryen';

/**
 * The WebAssembly features binaryen may use when it validates and writes a rewritten module:
 * what Node 20's V8 (11.3) runs by default. binaryen's `readBinary` reports only MVP for many
 * modules (validation then fails on bulk memory, sign extension, …), while `Features.All`
 * makes it emit encodings V8 11.3 rejects (`unknown import kind 0x7f`). Not included: GC,
 * strings, memory64, multi-memory, relaxed SIMD, extended constants, stack switching.
 */
export const NODE20_FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SIMD128 |
  binaryen.Features.Multivalue |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.ExceptionHandling |
  binaryen.Features.TailCall |
  binaryen.Features.Atomics;

export const NODE20_FEATURE_NAMES = [
  'mutable-globals', 'nontrapping-float-to-int', 'sign-ext', 'bulk-memory', 'simd128',
  'multivalue', 'reference-types', 'exception-handling', 'tail-call', 'threads',
] as const;
