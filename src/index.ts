// The public API: everything a user may import, named on purpose.
export { WasmHost } from './host/host.js';
export type { HostOptions, LoadOptions, MemoryPolicy } from './host/host.js';
export { GuestModule } from './host/guest-module.js';
export type { SandboxOptions, FunctionHooks, MemoryHooks, AllocationHook } from './host/guest-module.js';
export type { AllocationKind } from './host/instrument/allocator-pass.js';
export { Sandbox } from './host/sandbox.js';
export type { CallMetrics, CallReport, FastCall, FunctionCounter } from './host/sandbox.js';
export type { InstrumentOptions } from './host/instrument/instrument.js';
export type { Instrumentation } from './host/host.js';
export type { TypedSignature, TypedParam, TypedValue } from './host/typed-call.js';
export type { ModuleInfo, ImportInfo, ExportInfo } from './host/inspect.js';
export type { FunctionType, ValueType, Limits } from './host/wasm-binary.js';
export type { ModuleSource } from './host/source.js';
export type { GrantedImports } from './host/imports.js';
export type { TraceLogger } from './host/assemblyscript.js';
export type { ModuleCacheStats } from './host/module-cache.js';
export { parseArgument } from './host/arguments.js';

export {
  WasmSandboxError,
  WasmInvalidError,
  WasmSourceError,
  WasmImportError,
  WasmExportNotFoundError,
  WasmArgumentError,
  WasmTrapError,
  WasmMemoryLimitError,
  GuestAbortError,
  OutOfFuelError,
  DeadlineExceededError,
  SandboxDiscardedError,
  InvalidOptionError,
} from './errors.js';
export type { ErrorCode, TrapKind, GuestFrame } from './errors.js';

export { formatProfile } from './profiler/format-profile.js';
export { mergeModuleProfiles, MODULE_PROFILE_SCHEMA } from './profiler/module-profile.js';
export type { ModuleProfile, ColdStart, CacheProfile, MemoryProfile } from './profiler/module-profile.js';
export type { ExportProfile, TimingPolicy } from './profiler/call-recorder.js';
export { DEFAULT_TIMING } from './profiler/call-recorder.js';
export { decodeLatencyHistogram, mergeLatency } from './profiler/latency-histogram.js';
export type { LatencySummary } from './profiler/latency-histogram.js';
