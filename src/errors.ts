/**
 * Every failure a caller can act on has its own class and a stable `code`.
 * Messages say what happened, to which module/export, and what to do next.
 *
 * Messages quote guest text (names, abort messages, file names) and are logged as they are, so
 * every message is made safe here whatever its parts: control characters escaped, at most
 * MAX_ERROR_MESSAGE characters (untrusted-text.ts). Fields holding guest prose are escaped
 * too; the exact text stays available in fields named `raw…`, never in `message`.
 */
import { guestText, MAX_ERROR_MESSAGE, MAX_GUEST_MESSAGE } from './untrusted-text.js';

export type TrapKind =
  | 'unreachable'
  | 'divide_by_zero'
  | 'integer_overflow'
  | 'invalid_conversion'
  | 'out_of_bounds'
  | 'unaligned_atomic'
  | 'table_out_of_bounds'
  | 'indirect_call_mismatch'
  | 'stack_overflow'
  | 'null_reference'
  | 'unknown';

/** One guest frame of a trap's stack, innermost first. */
export interface GuestFrame {
  /**
   * Function name, the one V8 uses (name section: first entry wins, invalid UTF-8 none), else
   * `func[N]`; escaped and shortened for display. `module.functionName(functionIndex)` is exact.
   */
  readonly name: string;
  /** Function index in the module's function index space, when V8 reported it. */
  readonly functionIndex: number | undefined;
  /** Byte offset of the instruction within the module, when V8 reported it. */
  readonly offset: number | undefined;
}

export abstract class WasmSandboxError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(guestText(message, MAX_ERROR_MESSAGE), options);
    // Code that rewords a message later (naming the export, say) gets the same treatment.
    let text = this.message;
    Object.defineProperty(this, 'message', {
      get: () => text,
      set: (value: unknown) => {
        text = guestText(String(value), MAX_ERROR_MESSAGE);
      },
      configurable: true,
      enumerable: false,
    });
  }

  /** Plain data for logs, profiles and the wire. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** The bytes are not a module V8 will compile. */
export class WasmInvalidError extends WasmSandboxError {
  override readonly name = 'WasmInvalidError';
  readonly code = 'ERR_WASM_INVALID' as const;
  constructor(
    message: string,
    /** V8's own reason, verbatim. */
    readonly reason: string,
    /** Byte offset V8 reported, when it reported one. */
    readonly offset: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, offset: this.offset };
  }
}

/**
 * The instrumentation engine cannot rewrite this module (an instruction it does not support,
 * nesting binaryen cannot follow, …). The module itself may be valid: it loads without
 * instrumentation, or with `instrument.fallback: 'plain'`.
 */
export class WasmInstrumentationError extends WasmSandboxError {
  override readonly name = 'WasmInstrumentationError';
  readonly code = 'ERR_WASM_INSTRUMENTATION' as const;
  constructor(
    message: string,
    /** Why, in a line. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/** The module source could not be read: missing file, a directory, a failed fetch, an unsupported value. */
export class WasmSourceError extends WasmSandboxError {
  override readonly name = 'WasmSourceError';
  readonly code = 'ERR_WASM_SOURCE' as const;
}

/** An import the module needs was not granted, or was granted with the wrong kind or type. */
export class WasmImportError extends WasmSandboxError {
  override readonly name = 'WasmImportError';
  readonly code = 'ERR_WASM_IMPORT' as const;
  /** Every import that was not granted (the first is `importModule.importName`). */
  readonly missing: readonly { readonly module: string; readonly name: string; readonly kind: string }[];
  constructor(
    message: string,
    readonly importModule: string,
    readonly importName: string,
    readonly kind: string,
    options?: { cause?: unknown },
    missing?: readonly { readonly module: string; readonly name: string; readonly kind: string }[],
  ) {
    super(message, options);
    this.missing = missing ?? [];
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), importModule: this.importModule, importName: this.importName, kind: this.kind, missing: this.missing };
  }
}

/**
 * The guest called an import the caller did not grant, which `unknownImports: 'trap'` (CLI
 * `--trap-unknown-imports`) linked to a stand-in that throws this instead of refusing the module.
 */
export class ImportNotGrantedError extends WasmSandboxError {
  override readonly name = 'ImportNotGrantedError';
  readonly code = 'ERR_IMPORT_NOT_GRANTED' as const;
  constructor(
    message: string,
    readonly importModule: string = '',
    readonly importName: string = '',
  ) {
    super(message);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), importModule: this.importModule, importName: this.importName };
  }
}

export class WasmExportNotFoundError extends WasmSandboxError {
  override readonly name = 'WasmExportNotFoundError';
  readonly code = 'ERR_WASM_EXPORT_NOT_FOUND' as const;
  constructor(
    message: string,
    readonly exportName: string,
    readonly available: readonly string[],
  ) {
    super(message);
  }
}

/** Wrong number or type of arguments for an export. */
export class WasmArgumentError extends WasmSandboxError {
  override readonly name = 'WasmArgumentError';
  readonly code = 'ERR_WASM_ARGUMENT' as const;
}

/**
 * A typed call's result, or a value the guest's runtime handed back while arguments were
 * copied in, is not what the signature says (a pointer outside memory, not a string, …).
 */
export class WasmResultError extends WasmSandboxError {
  override readonly name = 'WasmResultError';
  readonly code = 'ERR_WASM_RESULT' as const;
}

/** The guest trapped. The instance may be in an inconsistent state: prefer a fresh one. */
export class WasmTrapError extends WasmSandboxError {
  override readonly name = 'WasmTrapError';
  readonly code = 'ERR_WASM_TRAP' as const;
  constructor(
    message: string,
    readonly kind: TrapKind,
    readonly guestStack: readonly GuestFrame[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), kind: this.kind, guestStack: this.guestStack };
  }
}

/** The module's memory needs, or its growth ran into, the sandbox's memory limit. */
export class WasmMemoryLimitError extends WasmSandboxError {
  override readonly name = 'WasmMemoryLimitError';
  readonly code = 'ERR_WASM_MEMORY_LIMIT' as const;
  constructor(
    message: string,
    readonly limitPages: number,
    readonly requestedPages: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The module's tables need, or their growth ran into, the sandbox's table limit. */
export class WasmTableLimitError extends WasmSandboxError {
  override readonly name = 'WasmTableLimitError';
  readonly code = 'ERR_WASM_TABLE_LIMIT' as const;
  constructor(
    message: string,
    readonly limitEntries: number,
    readonly requestedEntries: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The module has a shared memory, so `memory.atomic.wait` could block this thread where no
 * deadline can stop it. Run it on a worker pool, or pass `allowBlockingWaits`.
 */
export class BlockingWaitError extends WasmSandboxError {
  override readonly name = 'BlockingWaitError';
  readonly code = 'ERR_BLOCKING_WAIT' as const;
}

/** The guest threw a wasm exception (`throw $tag`) that it did not catch. */
export class GuestExceptionError extends WasmSandboxError {
  override readonly name = 'GuestExceptionError';
  readonly code = 'ERR_WASM_EXCEPTION' as const;
  constructor(
    message: string,
    /** The export name of the exception's tag, when the module exports it. */
    readonly tag: string | undefined,
    /** The values the exception carries, when its tag is exported. */
    readonly values: readonly unknown[] | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), tag: this.tag, values: this.values?.map((v) => (typeof v === 'bigint' ? v.toString() : v)) };
  }
}

/**
 * The guest called AssemblyScript's `abort` (a failed assertion or a thrown error). The guest
 * wrote the message and file name: `guestMessage` and `file` are escaped and shortened like
 * the message; `rawGuestMessage` and `rawFile` hold the text exactly as the guest wrote it
 * (at most 4,096 UTF-16 units each) — escape it before showing or logging it.
 */
export class GuestAbortError extends WasmSandboxError {
  override readonly name = 'GuestAbortError';
  readonly code = 'ERR_GUEST_ABORT' as const;
  readonly guestMessage: string | undefined;
  readonly file: string | undefined;
  constructor(
    message: string,
    readonly rawGuestMessage: string | undefined,
    readonly rawFile: string | undefined,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.guestMessage = rawGuestMessage === undefined ? undefined : guestText(rawGuestMessage, MAX_GUEST_MESSAGE);
    this.file = rawFile === undefined ? undefined : guestText(rawFile);
  }
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      guestMessage: this.guestMessage,
      file: this.file,
      line: this.line,
      column: this.column,
      rawGuestMessage: this.rawGuestMessage,
      rawFile: this.rawFile,
    };
  }
}

/** The guest executed more instructions than its fuel allowed. The instance is discarded. */
export class OutOfFuelError extends WasmSandboxError {
  override readonly name = 'OutOfFuelError';
  readonly code = 'ERR_OUT_OF_FUEL' as const;
  constructor(
    message: string,
    /** The allowance, in instructions. */
    readonly fuel: number,
    /** Instructions charged when the guest was stopped (at least `fuel`). */
    readonly consumed: number,
  ) {
    super(message);
  }
}

/** The guest ran past its deadline or was interrupted. The instance is discarded. */
export class DeadlineExceededError extends WasmSandboxError {
  override readonly name = 'DeadlineExceededError';
  readonly code = 'ERR_DEADLINE_EXCEEDED' as const;
  constructor(
    message: string,
    /** The time limit in ms; undefined when the guest was interrupted through its flag. */
    readonly timeoutMs: number | undefined,
    readonly elapsedMs: number,
  ) {
    super(message);
  }
}

/** A sandbox whose instance was discarded (after running out of fuel or time) was called again. */
export class SandboxDiscardedError extends WasmSandboxError {
  override readonly name = 'SandboxDiscardedError';
  readonly code = 'ERR_SANDBOX_DISCARDED' as const;
}

/** A worker thread died (crash, out of memory, process.exit in a host import, or terminated to stop a runaway call) while holding the call. */
export class WorkerCrashedError extends WasmSandboxError {
  override readonly name = 'WorkerCrashedError';
  readonly code = 'ERR_WORKER_CRASHED' as const;
}

/** The pool's bounded queue is full: the call was refused rather than queued without limit. */
export class PoolSaturatedError extends WasmSandboxError {
  override readonly name = 'PoolSaturatedError';
  readonly code = 'ERR_POOL_SATURATED' as const;
}

/** The pool was closed (with cancel) before the call completed, or a call came after close. */
export class PoolClosedError extends WasmSandboxError {
  override readonly name = 'PoolClosedError';
  readonly code = 'ERR_POOL_CLOSED' as const;
}

/** A call named a module the pool was not created with. */
export class PoolModuleNotFoundError extends WasmSandboxError {
  override readonly name = 'PoolModuleNotFoundError';
  readonly code = 'ERR_POOL_MODULE_NOT_FOUND' as const;
  constructor(
    message: string,
    readonly moduleId: string,
    readonly available: readonly string[],
  ) {
    super(message);
  }
}

/** A pool's tenant sandbox was called (or used) after it was closed. */
export class SandboxClosedError extends WasmSandboxError {
  override readonly name = 'SandboxClosedError';
  readonly code = 'ERR_SANDBOX_CLOSED' as const;
  constructor(
    message: string,
    readonly sandbox: number,
  ) {
    super(message);
  }
}

/** A call's result is larger than its worker's response ring can carry. */
export class ResultTooLargeError extends WasmSandboxError {
  override readonly name = 'ResultTooLargeError';
  readonly code = 'ERR_POOL_RESULT_TOO_LARGE' as const;
  constructor(
    message: string,
    /** Bytes the encoded result needs. */
    readonly resultBytes: number,
    /** The pool's `ringBytes`: a frame carries at most half of it. */
    readonly ringBytes: number,
  ) {
    super(message);
  }
}

/**
 * An export takes or returns a reference (funcref, externref, other reference types), which
 * cannot cross to another thread: neither a function nor a JavaScript object can be copied
 * into a worker and stay the same object.
 */
export class ReferenceCrossingError extends WasmSandboxError {
  override readonly name = 'ReferenceCrossingError';
  readonly code = 'ERR_POOL_REFERENCE' as const;
  constructor(
    message: string,
    readonly exportName: string,
  ) {
    super(message);
  }
}

/**
 * An error that crossed a thread boundary as plain data whose code names no class of this
 * library (an error thrown by a granted host import, for instance), rebuilt with its original
 * code, name, message and fields.
 */
export class RemoteError extends WasmSandboxError {
  override readonly name: string;
  readonly code: string;
  constructor(data: { readonly code: string; readonly name: string; readonly message: string; readonly fields?: Readonly<Record<string, unknown>> }) {
    super(data.message);
    this.code = data.code;
    this.name = data.name;
    Object.assign(this, data.fields ?? {});
  }
}

/** A caller-supplied option is out of range or of the wrong type. */
export class InvalidOptionError extends WasmSandboxError {
  override readonly name = 'InvalidOptionError';
  readonly code = 'ERR_INVALID_OPTION' as const;
}

/** The metrics endpoint could not listen (address in use, no permission for the port). */
export class MetricsEndpointError extends WasmSandboxError {
  override readonly name = 'MetricsEndpointError';
  readonly code = 'ERR_METRICS_ENDPOINT' as const;
}

/** A profile could not be delivered to a continuous-profiling server after the bounded retries. */
export class ProfilePushError extends WasmSandboxError {
  override readonly name = 'ProfilePushError';
  readonly code = 'ERR_PROFILE_PUSH' as const;
  constructor(
    message: string,
    /** The last HTTP status seen, undefined when no response came (network error, timeout). */
    readonly status?: number,
    /** Attempts made, including the first. */
    readonly attempts?: number,
  ) {
    super(message);
  }
}

/**
 * A saved profile (or analysis input) that this version cannot read: not JSON, a schema it does
 * not know, a newer version of one it knows, or a shape that does not match its schema.
 */
export class ProfileFormatError extends WasmSandboxError {
  override readonly name = 'ProfileFormatError';
  readonly code = 'ERR_PROFILE_FORMAT' as const;
  constructor(
    message: string,
    /** `not-json`, `unknown-schema`, `newer-schema` or `malformed`. */
    readonly reason: 'not-json' | 'unknown-schema' | 'newer-schema' | 'malformed' = 'malformed',
    /** The schema string the file declared (escaped, shortened), if any. */
    readonly found: string | undefined = undefined,
    /** The schemas this version reads. */
    readonly supported: readonly string[] = [],
  ) {
    super(message);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, found: this.found, supported: this.supported };
  }
}

/** A `compare` input is not a bench result file, a saved profile or folded stacks, or the two sides cannot be compared. */
export class CompareInputError extends WasmSandboxError {
  override readonly name = 'CompareInputError';
  readonly code = 'ERR_COMPARE_INPUT' as const;
}

/**
 * A heap guard (`assertHeap`) failed: the allocation report exceeds a limit the test set.
 * `sites` names the top allocation sites behind the excess (stacks, innermost last).
 */
export class HeapLimitError extends WasmSandboxError {
  override readonly name = 'HeapLimitError';
  readonly code = 'ERR_HEAP_LIMIT' as const;
  constructor(
    message: string,
    /** Which limit: `maxPeakBytes`, `maxLeakedBytesPerCall`, `maxLiveBytesAtEnd`. */
    readonly limit?: string,
    readonly allowedBytes?: number,
    readonly actualBytes?: number,
    readonly sites: readonly { readonly stack: string; readonly bytes: number }[] = [],
  ) {
    super(message);
  }
}

/** The host asked to allocate inside a guest that exports no allocator it knows (nor the pair configured). */
export class GuestAllocatorMissingError extends WasmSandboxError {
  override readonly name = 'GuestAllocatorMissingError';
  readonly code = 'ERR_GUEST_NO_ALLOCATOR' as const;
  constructor(
    message: string,
    /** The exports looked for. */
    readonly wanted: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The guest's own allocator could not allocate what the host asked for (out of memory under the limit). */
export class GuestAllocationFailedError extends WasmSandboxError {
  override readonly name = 'GuestAllocationFailedError';
  readonly code = 'ERR_GUEST_ALLOCATION_FAILED' as const;
  constructor(
    message: string,
    readonly requestedBytes?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type ErrorCode =
  | WasmInvalidError['code']
  | WasmSourceError['code']
  | WasmInstrumentationError['code']
  | WasmImportError['code']
  | ImportNotGrantedError['code']
  | WasmExportNotFoundError['code']
  | WasmArgumentError['code']
  | WasmResultError['code']
  | WasmTrapError['code']
  | WasmMemoryLimitError['code']
  | WasmTableLimitError['code']
  | BlockingWaitError['code']
  | GuestAbortError['code']
  | GuestExceptionError['code']
  | OutOfFuelError['code']
  | DeadlineExceededError['code']
  | SandboxDiscardedError['code']
  | WorkerCrashedError['code']
  | PoolSaturatedError['code']
  | PoolClosedError['code']
  | PoolModuleNotFoundError['code']
  | SandboxClosedError['code']
  | ResultTooLargeError['code']
  | ReferenceCrossingError['code']
  | InvalidOptionError['code']
  | MetricsEndpointError['code']
  | ProfilePushError['code']
  | ProfileFormatError['code']
  | CompareInputError['code']
  | HeapLimitError['code']
  | GuestAllocatorMissingError['code']
  | GuestAllocationFailedError['code'];

/** A class of this library's errors, as the code → class table holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = new (message: string, ...rest: any[]) => WasmSandboxError;

/**
 * Every error class, once: the code → class table that rebuilds an error that crossed a thread
 * boundary as the same class. Add a new class here; the compiler refuses an `ErrorCode` missing
 * from it, and a test checks every exported class is in it.
 */
const ERROR_CLASSES = [
  WasmInvalidError,
  WasmInstrumentationError,
  WasmSourceError,
  WasmImportError,
  ImportNotGrantedError,
  WasmExportNotFoundError,
  WasmArgumentError,
  WasmResultError,
  WasmTrapError,
  WasmMemoryLimitError,
  WasmTableLimitError,
  BlockingWaitError,
  GuestAbortError,
  GuestExceptionError,
  OutOfFuelError,
  DeadlineExceededError,
  SandboxDiscardedError,
  WorkerCrashedError,
  PoolSaturatedError,
  PoolClosedError,
  PoolModuleNotFoundError,
  SandboxClosedError,
  ResultTooLargeError,
  ReferenceCrossingError,
  InvalidOptionError,
  MetricsEndpointError,
  ProfilePushError,
  ProfileFormatError,
  CompareInputError,
  HeapLimitError,
  GuestAllocatorMissingError,
  GuestAllocationFailedError,
] as const satisfies readonly ErrorClass[];

/** Compiles only while every ErrorCode has its class in ERROR_CLASSES. */
const everyCodeHasAClass: [Exclude<ErrorCode, InstanceType<(typeof ERROR_CLASSES)[number]>['code']>] extends [never] ? true : never = true;
void everyCodeHasAClass;

/** Code → class and the name its instances carry (a foreign error borrowing a code is not that class). */
const BY_CODE = new Map<string, { readonly Class: ErrorClass; readonly name: string }>(
  ERROR_CLASSES.map((Class: ErrorClass) => {
    const sample = new Class('');
    return [sample.code, { Class, name: sample.name }];
  }),
);

/** The class of this library's errors that carries `code`, if any. */
export function errorClassFor(code: string): ErrorClass | undefined {
  return BY_CODE.get(code)?.Class;
}

/** An error as plain data (structured-clone and msgpack safe): what crosses a thread boundary. */
export interface ErrorData {
  readonly code: string;
  readonly name: string;
  readonly message: string;
  /** Own fields (`kind`, `guestStack`, `timeoutMs`, …). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The cause, when it is one of this library's errors. */
  readonly cause?: ErrorData;
}

/** Code given to errors that carry none of their own (thrown by a host import the caller granted). */
const FOREIGN_CODE = 'ERR_HOST_IMPORT_THREW';

export function toErrorData(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { code: FOREIGN_CODE, name: 'Error', message: String(error), fields: {} };
  const own = error as unknown as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) if (key !== 'name' && key !== 'code' && key !== 'message' && key !== 'stack') fields[key] = own[key];
  const code = typeof own['code'] === 'string' ? own['code'] : FOREIGN_CODE;
  const cause = error.cause instanceof WasmSandboxError ? toErrorData(error.cause) : undefined;
  return { code, name: error.name, message: error.message, fields, ...(cause === undefined ? {} : { cause }) };
}

/** Rebuilds an error from its data: the same class when this library has one for its code, else a RemoteError. */
export function fromErrorData(data: ErrorData): WasmSandboxError {
  const known = BY_CODE.get(data.code);
  const error = known !== undefined && known.name === data.name ? new known.Class(data.message) : new RemoteError(data);
  Object.assign(error, data.fields);
  if (data.cause !== undefined) Object.defineProperty(error, 'cause', { value: fromErrorData(data.cause), writable: true, configurable: true });
  return error;
}
