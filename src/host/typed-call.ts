/**
 * AssemblyScript-typed calls: strings, typed arrays, arrays and ArrayBuffers cross into
 * guest memory through the guest's runtime (assemblyscript-runtime.ts: `__newString`, `__newArray`, …);
 * results are copied out. Managed arguments are pinned for the duration of the call, so
 * a collection triggered by allocating a later argument cannot free an earlier one.
 */
import { ArrivingArray } from './arriving-array.js';
import { InvalidOptionError, WasmArgumentError, WasmResultError, WasmSandboxError } from '../errors.js';
import type { CallRecorder } from '../profiler/build/call-recorder.js';
import { argumentProblem, typeName } from './arguments.js';
import type { FunctionType, ValueType } from '../wasm/wasm-binary.js';

const TYPED_ARRAYS = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

const ELEMENT_BYTES: Record<string, number> = {
  i8: 1, u8: 1, bool: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8, f64: 8,
};

/** A value type an AssemblyScript export takes or returns. */
export type TypedValue =
  | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool' | 'string' | 'ArrayBuffer' | 'void'
  | TypedArrayName
  | `Array<${'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool' | 'string'}>`;

/** A parameter may carry the guest's runtime type id; otherwise it is read from an exported `<Name>_ID` global. */
export type TypedParam = TypedValue | { readonly type: TypedValue; readonly id: number };

export interface TypedSignature {
  readonly params: readonly TypedParam[];
  readonly result?: TypedValue;
}

/** AssemblyScript's value helpers (assemblyscript-runtime.ts builds them for an instance). */
export interface AssemblyScriptHelpers {
  __newString(value: string): number;
  __getString(pointer: number): string;
  __newArray(id: number, values: ArrayLike<number | bigint> | readonly unknown[] | ArrivingArray): number;
  __getArray(pointer: number): unknown[];
  __newArrayBuffer(buffer: ArrayBuffer): number;
  __getArrayBuffer(pointer: number): ArrayBuffer;
  __pin(pointer: number): number;
  __unpin(pointer: number): void;
  __collect(): void;
  [getter: `__get${string}`]: (pointer: number) => unknown;
}

/** Arguments at least this large are collected by the guest's GC right after the call. */
const LARGE_ARGUMENT_BYTES = 1024 * 1024;

/** `Array<i32>` → `ArrayI32_ID`; `Float64Array` → `Float64Array_ID`. */
export function idGlobalName(type: TypedValue): string {
  const element = /^Array<(\w+)>$/.exec(type)?.[1];
  return element === undefined ? `${type}_ID` : `Array${element[0]!.toUpperCase()}${element.slice(1)}_ID`;
}

function wasmTypeOf(type: TypedValue): ValueType | undefined {
  switch (type) {
    case 'i32': case 'u32': case 'bool': return 'i32';
    case 'i64': case 'u64': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    case 'void': return undefined;
    default: return 'i32'; // a pointer into guest memory
  }
}

interface Converter {
  readonly type: TypedValue;
  /** Returns the wasm value and the bytes copied in; pushes allocated pointers to `pinned`. */
  toGuest(value: unknown, pinned: number[]): { value: unknown; bytes: number };
}

export function makeTypedCall<R>(
  where: string,
  moduleLabel: string,
  signature: TypedSignature,
  wasmSignature: FunctionType,
  helpers: AssemblyScriptHelpers | undefined,
  exports: WebAssembly.Exports,
  call: (...args: unknown[]) => unknown,
  recorder: CallRecorder,
  classify: (error: unknown) => unknown,
): (...args: unknown[]) => R {
  if (helpers === undefined) {
    throw new InvalidOptionError(
      `${moduleLabel} does not export AssemblyScript's runtime (__new, __pin, __unpin): typed calls need a guest built with --exportRuntime; use call()/fn() for numeric exports`,
    );
  }
  if (signature.params.length !== wasmSignature.params.length) {
    throw new InvalidOptionError(
      `${where}: the typed signature lists ${signature.params.length} parameters but the export takes ${wasmSignature.params.length}`,
    );
  }
  const converters = signature.params.map((param, i) => {
    const converter = makeConverter(where, param, helpers, exports);
    const expected = wasmTypeOf(converter.type);
    if (expected !== wasmSignature.params[i]) {
      throw new InvalidOptionError(
        `${where}: parameter ${i + 1} declared as ${converter.type} (wasm ${expected}) but the export takes ${wasmSignature.params[i]}`,
      );
    }
    return converter;
  });
  const resultType = signature.result ?? 'void';
  const resultWasm = wasmTypeOf(resultType);
  if (resultWasm !== wasmSignature.results[0] || wasmSignature.results.length > 1) {
    throw new InvalidOptionError(
      `${where}: result declared as ${resultType} but the export returns ${wasmSignature.results.join(', ') || 'nothing'}`,
    );
  }
  const read = makeReader(where, resultType, helpers);

  return (...args: unknown[]): R => {
    if (args.length !== converters.length) {
      throw new WasmArgumentError(`${where} takes ${converters.length} argument(s), got ${args.length}`);
    }
    const pinned: number[] = [];
    let bytesIn = 0;
    try {
      let wasmArgs: unknown[];
      try {
        wasmArgs = converters.map((converter, i) => {
          const { value, bytes } = converter.toGuest(args[i], pinned);
          bytesIn += bytes;
          return value;
        });
      } catch (error) {
        // Allocating an argument runs guest code (its allocator): a trap there is the guest's.
        throw typedFailure(classify(error), where, 'while its arguments were copied in', moduleLabel);
      }
      recorder.bytesIn += bytesIn;
      const raw = call(...wasmArgs);
      let result: { value: unknown; bytes: number };
      try {
        result = read(raw);
      } catch (error) {
        throw typedFailure(classify(error), where, `reading its ${resultType} result`, moduleLabel);
      }
      recorder.bytesOut += result.bytes;
      return result.value as R;
    } finally {
      for (const pointer of pinned) helpers.__unpin(pointer);
      // Large arguments are garbage as soon as the call returns: collect them now rather than
      // let a series of such calls run the guest into its memory limit.
      if (bytesIn >= LARGE_ARGUMENT_BYTES) helpers.__collect();
    }
  };
}

/** A failure while values cross (a bad pointer the runtime handed back, a view past memory) as a typed error. */
function typedFailure(error: unknown, where: string, doing: string, moduleLabel: string): unknown {
  // The runtime helpers know the module, not the export: name the call.
  if (error instanceof WasmResultError && error.message.startsWith(`${moduleLabel}: `) && !error.message.startsWith(where)) {
    error.message = `${where}${error.message.slice(moduleLabel.length)}`;
  }
  if (error instanceof WasmSandboxError || !(error instanceof Error)) return error;
  return new WasmResultError(`${where}: the guest's runtime handed back a bad value ${doing} (${error.message})`, { cause: error });
}

function makeConverter(where: string, param: TypedParam, helpers: AssemblyScriptHelpers, exports: WebAssembly.Exports): Converter {
  const type = typeof param === 'string' ? param : param.type;
  const explicitId = typeof param === 'string' ? undefined : param.id;
  const fail = (problem: string): never => {
    throw new WasmArgumentError(`${where}: ${problem}`);
  };
  const runtimeId = (): number => {
    if (explicitId !== undefined) return explicitId;
    const global = exports[idGlobalName(type)];
    if (!(global instanceof WebAssembly.Global)) {
      throw new InvalidOptionError(
        `${where}: passing ${type} needs the guest's runtime id: export \`const ${idGlobalName(type)} = idof<${type.replace('Array<', 'Array<')}>()\` from the guest, or give { type: '${type}', id }`,
      );
    }
    return global.value as number;
  };
  const pin = (pointer: number, pinned: number[]): number => {
    helpers.__pin(pointer);
    pinned.push(pointer);
    return pointer;
  };

  if (type === 'string') {
    return {
      type,
      toGuest: (value, pinned) => {
        if (typeof value !== 'string') fail(`expected a string, got ${typeName(value)}`);
        const bytes = (value as string).length * 2;
        return { value: pin(helpers.__newString(value as string), pinned), bytes };
      },
    };
  }
  if (type === 'ArrayBuffer') {
    return {
      type,
      toGuest: (value, pinned) => {
        if (!(value instanceof ArrayBuffer)) fail(`expected an ArrayBuffer, got ${typeName(value)}`);
        const bytes = (value as ArrayBuffer).byteLength;
        return { value: pin(helpers.__newArrayBuffer(value as ArrayBuffer), pinned), bytes };
      },
    };
  }
  if (type in TYPED_ARRAYS) {
    const ctor = TYPED_ARRAYS[type as TypedArrayName];
    const id = runtimeId();
    return {
      type,
      toGuest: (value, pinned) => {
        if (value instanceof ArrivingArray) {
          // A pool's large argument, still arriving: copied into the guest as it comes.
          if (value.type !== ctor) fail(`expected a ${type}, got ${typeName(value)}`);
          return { value: pin(helpers.__newArray(id, value), pinned), bytes: value.byteLength };
        }
        if (!(value instanceof ctor)) fail(`expected a ${type}, got ${typeName(value)}`);
        const view = value as InstanceType<typeof ctor>;
        return { value: pin(helpers.__newArray(id, view), pinned), bytes: view.byteLength };
      },
    };
  }
  const element = /^Array<(\w+)>$/.exec(type)?.[1];
  if (element !== undefined) {
    const id = runtimeId();
    const elementWasm = wasmTypeOf(element as TypedValue);
    return {
      type,
      toGuest: (value, pinned) => {
        if (!Array.isArray(value)) fail(`expected an array, got ${typeName(value)}`);
        const values = value as unknown[];
        if (element === 'string') {
          // Strings inside an array must themselves be pinned until the array holds them.
          const pointers = values.map((s, i) => {
            if (typeof s !== 'string') fail(`element ${i}: expected a string, got ${typeName(s)}`);
            return pin(helpers.__newString(s as string), pinned);
          });
          const bytes = values.reduce<number>((n, s) => n + (s as string).length * 2, 0);
          return { value: pin(helpers.__newArray(id, pointers), pinned), bytes };
        }
        values.forEach((v, i) => {
          const problem = elementWasm === undefined ? undefined : argumentProblem(elementWasm, element === 'bool' ? Number(v) : v);
          if (problem !== undefined) fail(`element ${i}: ${problem}`);
        });
        const bytes = values.length * (ELEMENT_BYTES[element] ?? 4);
        return { value: pin(helpers.__newArray(id, element === 'bool' ? values.map(Number) : (values as number[])), pinned), bytes };
      },
    };
  }
  const wasm = wasmTypeOf(type);
  return {
    type,
    toGuest: (value) => {
      const v = type === 'bool' && typeof value === 'boolean' ? Number(value) : value;
      const problem = wasm === undefined ? 'void is not a parameter type' : argumentProblem(wasm, v);
      if (problem !== undefined) fail(problem);
      return { value: v, bytes: 0 };
    },
  };
}

function makeReader(where: string, type: TypedValue, helpers: AssemblyScriptHelpers): (raw: unknown) => { value: unknown; bytes: number } {
  const none = (value: unknown): { value: unknown; bytes: number } => ({ value, bytes: 0 });
  switch (type) {
    case 'void': return () => none(undefined);
    case 'bool': return (raw) => none(raw !== 0);
    case 'u32': return (raw) => none((raw as number) >>> 0);
    case 'u64': return (raw) => none(BigInt.asUintN(64, raw as bigint));
    case 'i32': case 'i64': case 'f32': case 'f64': return none;
    case 'string':
      return (raw) => {
        if (raw === 0) return none(null);
        const text = helpers.__getString(raw as number);
        return { value: text, bytes: text.length * 2 };
      };
    case 'ArrayBuffer':
      return (raw) => {
        if (raw === 0) return none(null);
        const buffer = helpers.__getArrayBuffer(raw as number);
        return { value: buffer, bytes: buffer.byteLength };
      };
    default: break;
  }
  if (type in TYPED_ARRAYS) {
    const getter = helpers[`__get${type}`];
    if (getter === undefined) throw new InvalidOptionError(`${where}: the runtime helpers cannot read ${type} results`);
    return (raw) => {
      if (raw === 0) return none(null);
      const view = getter(raw as number) as ArrayBufferView;
      return { value: view, bytes: view.byteLength };
    };
  }
  const element = /^Array<(\w+)>$/.exec(type)?.[1];
  if (element === undefined) throw new InvalidOptionError(`${where}: unknown result type ${JSON.stringify(type)}`);
  return (raw) => {
    if (raw === 0) return none(null);
    let values = helpers.__getArray(raw as number);
    if (element === 'string') values = values.map((p) => helpers.__getString(p as number));
    else if (element === 'bool') values = values.map((v) => v !== 0);
    const bytes = element === 'string'
      ? values.reduce<number>((n, s) => n + (s as string).length * 2, 0)
      : values.length * (ELEMENT_BYTES[element] ?? 4);
    return { value: values, bytes };
  };
}
