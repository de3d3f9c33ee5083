/**
 * Capability-based linking: the import object handed to V8 holds exactly the imports the
 * module declares, each taken from what the caller granted (or, for AssemblyScript's
 * `env.abort/trace/seed`, from the host's stand-ins). Nothing else is reachable.
 */
import { ImportNotGrantedError, InvalidOptionError, WasmImportError, WasmMemoryLimitError, WasmTableLimitError } from '../errors.js';
import { guestText } from '../untrusted-text.js';
import { ASSEMBLYSCRIPT_IMPORTS } from './assemblyscript.js';
import { signatureText } from './inspect.js';
import type { FunctionType, ImportEntry } from '../wasm/wasm-binary.js';

/** What a caller grants: `{ host: { log: (x) => …, memory: new WebAssembly.Memory(…) } }`. */
export type GrantedImports = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

function sameType(a: FunctionType | undefined, b: FunctionType): boolean {
  return (
    a !== undefined &&
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((t, i) => t === b.params[i]) &&
    a.results.every((t, i) => t === b.results[i])
  );
}

/** `module.name` of an import, as shown in messages (guest text: escaped, shortened). */
function fieldName(entry: ImportEntry): string {
  return `${guestText(entry.module)}.${guestText(entry.name)}`;
}

function describeImport(entry: ImportEntry): string {
  switch (entry.kind) {
    case 'function':
      return `function ${signatureText(entry.type)}`;
    case 'memory':
      return `memory (${entry.limits.min}..${entry.limits.max ?? '∞'} pages)`;
    case 'table':
      return `table of ${entry.element}`;
    case 'global':
      return `global ${entry.mutable ? 'mut ' : ''}${entry.type}`;
    case 'tag':
      return 'exception tag';
  }
}

function kindMatches(entry: ImportEntry, value: unknown): boolean {
  switch (entry.kind) {
    case 'function':
      return typeof value === 'function';
    case 'memory':
      return value instanceof WebAssembly.Memory;
    case 'table':
      return value instanceof WebAssembly.Table;
    case 'global':
      if (value instanceof WebAssembly.Global) return true;
      // The JS API accepts plain values for immutable globals.
      if (entry.mutable) return false;
      return entry.type === 'i64' ? typeof value === 'bigint' : typeof value === 'number';
    case 'tag': {
      const Tag = (WebAssembly as unknown as { Tag?: new (...args: never[]) => object }).Tag;
      return Tag !== undefined && value instanceof Tag;
    }
  }
}

/**
 * Reads `holder[name]` the way V8 reads imports (a property get: Proxies and class instances
 * work), except that a name resolving only to what every object or function inherits
 * (`constructor`, `__proto__`, `hasOwnProperty`, `valueOf`, …) was not granted.
 */
function granted(holder: unknown, name: string): { found: boolean; value: unknown } {
  if (holder === null || (typeof holder !== 'object' && typeof holder !== 'function')) return { found: false, value: undefined };
  const own = Object.getOwnPropertyDescriptor(holder, name) !== undefined;
  let value: unknown;
  try {
    value = Reflect.get(holder, name);
  } catch {
    return { found: false, value: undefined }; // a throwing getter or Proxy trap grants nothing
  }
  if (value === undefined) return { found: false, value };
  if (!own && (name === '__proto__' || inheritedBuiltin(name, value))) return { found: false, value: undefined };
  return { found: true, value };
}

function inheritedBuiltin(name: string, value: unknown): boolean {
  for (const prototype of [Object.prototype, Function.prototype]) {
    if (name in prototype && (prototype as Record<string, unknown>)[name] === value) return true;
  }
  return false;
}

/**
 * What to do with a function import nobody granted: refuse the module (the default), or link a
 * stand-in that throws ERR_IMPORT_NOT_GRANTED when the guest calls it (wasmtime's
 * `--trap-unknown-imports`), so exports that never reach it can run. Imports of other kinds have
 * no stand-in: a memory, table, global or tag nobody granted always refuses the module.
 */
export type UnknownImports = 'refuse' | 'trap';

/** Refuses anything but the two choices (`where` names the option in the message). */
export function checkUnknownImports(value: unknown, where: string): UnknownImports | undefined {
  if (value === undefined || value === 'refuse' || value === 'trap') return value;
  throw new InvalidOptionError(`${where} must be 'refuse' or 'trap', got ${guestText(String(value))}`);
}

/** A function import's stand-in: throws, naming the import (guest text, escaped). */
function notGranted(moduleLabel: string, entry: ImportEntry & { kind: 'function' }): () => never {
  return () => {
    throw new ImportNotGrantedError(
      `${moduleLabel} called ${fieldName(entry)} (${describeImport(entry)}), which was not granted (linked to a stand-in by unknownImports: 'trap'); grant it as imports.${guestText(entry.module)}.${guestText(entry.name)}`,
      entry.module,
      entry.name,
    );
  };
}

export function buildImportObject(
  moduleLabel: string,
  needed: readonly ImportEntry[],
  grants: GrantedImports,
  assemblyScriptEnv: () => Record<string, unknown>,
  memoryLimitPages: number,
  tableLimitEntries: number,
  unknownImports: UnknownImports = 'refuse',
): WebAssembly.Imports {
  // Null prototypes: a module or field named `constructor` or `__proto__` is just a name here.
  const result: Record<string, Record<string, WebAssembly.ImportValue>> = Object.create(null) as Record<string, Record<string, WebAssembly.ImportValue>>;
  const missing: ImportEntry[] = [];
  let hostEnv: Record<string, unknown> | undefined;
  for (const entry of needed) {
    const namespace = granted(grants, entry.module);
    const grant = namespace.found ? granted(namespace.value, entry.name) : namespace;
    let value = grant.value;
    if (!grant.found) {
      // (an own-property lookup: an import named `constructor` must not find Object's)
      const standIn = entry.module === 'env' && Object.hasOwn(ASSEMBLYSCRIPT_IMPORTS, entry.name) ? ASSEMBLYSCRIPT_IMPORTS[entry.name] : undefined;
      if (entry.kind === 'function' && standIn !== undefined && sameType(entry.type, standIn)) {
        hostEnv ??= assemblyScriptEnv();
        value = hostEnv[entry.name];
      } else if (entry.kind === 'function' && unknownImports === 'trap') {
        value = notGranted(moduleLabel, entry);
      } else {
        missing.push(entry);
        continue;
      }
    } else if (!kindMatches(entry, value)) {
      throw new WasmImportError(
        `${moduleLabel} imports ${fieldName(entry)} as a ${describeImport(entry)}, but the granted value is ${describeValue(value)}`,
        entry.module,
        entry.name,
        entry.kind,
      );
    }
    if (entry.kind === 'memory') {
      const pages = (value as WebAssembly.Memory).buffer.byteLength / 65536;
      if (pages > memoryLimitPages) {
        throw new WasmMemoryLimitError(
          `${moduleLabel}: the memory granted as ${fieldName(entry)} already has ${pages} pages, over the limit of ${memoryLimitPages}; ` +
            `grant a smaller memory or raise memoryLimitPages`,
          memoryLimitPages,
          pages,
        );
      }
    }
    if (entry.kind === 'table') {
      const length = (value as WebAssembly.Table).length;
      if (length > tableLimitEntries) {
        throw new WasmTableLimitError(
          `${moduleLabel}: the table granted as ${fieldName(entry)} already has ${length} entries, over the limit of ${tableLimitEntries}; ` +
            'grant a smaller table or raise tableLimitEntries',
          tableLimitEntries,
          length,
        );
      }
    }
    (result[entry.module] ??= Object.create(null) as Record<string, WebAssembly.ImportValue>)[entry.name] = value as WebAssembly.ImportValue;
  }
  if (missing.length > 0) {
    const first = missing[0]!;
    const list = missing.slice(0, 20).map((entry) => `${fieldName(entry)} (${describeImport(entry)})`);
    const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
    throw new WasmImportError(
      missing.length === 1
        ? `${moduleLabel} imports ${list[0]}, which was not granted; pass it as imports.${guestText(first.module)}.${guestText(first.name)} to grant it`
        : `${moduleLabel} imports ${missing.length} values that were not granted: ${list.join(', ')}${more}; pass each as imports.<module>.<name>`,
      first.module,
      first.name,
      first.kind,
      undefined,
      missing.map((entry) => ({ module: entry.module, name: entry.name, kind: entry.kind })),
    );
  }
  return result;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof WebAssembly.Memory) return 'a WebAssembly.Memory';
  if (value instanceof WebAssembly.Table) return 'a WebAssembly.Table';
  if (value instanceof WebAssembly.Global) return 'a WebAssembly.Global';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

/**
 * Whether a memory import's LinkError comes from the maximum the host lowered (the module as
 * given would have linked), rather than from the import itself (too small, say).
 */
function causedByCap(reason: string, declaredMaximum: number | undefined): boolean {
  const larger = /larger maximum size (\d+) than the module's declared maximum/.exec(reason);
  if (larger !== null) return declaredMaximum === undefined || declaredMaximum >= Number(larger[1]);
  return /has no maximum limit/.test(reason) && declaredMaximum === undefined;
}

// V8 11: `Import #2 module="host" function="scale" error: …`; older: `Import #2 "host" "scale": …`
const LINK_ERROR = /Import #(\d+) (?:module=)?"([^"]*)" (?:\w+=)?"([^"]*)"(?::| error:) (.*)$/;
const MEMORY_LINK_ERROR = /memory import (\d+) (.*)$/;

/** Turns V8's LinkError (wrong memory size, global type, …) into a typed error naming the import. */
export function linkErrorToTyped(
  moduleLabel: string,
  error: WebAssembly.LinkError,
  needed: readonly ImportEntry[],
  memoryLimitPages: number,
): WasmImportError | WasmMemoryLimitError {
  const memoryMatch = MEMORY_LINK_ERROR.exec(error.message);
  const memoryEntry = memoryMatch === null ? undefined : needed.filter((i) => i.kind === 'memory')[Number(memoryMatch[1])];
  if (memoryMatch !== null && memoryEntry?.kind === 'memory' && causedByCap(memoryMatch[2]!, memoryEntry.limits.max)) {
    const entry = memoryEntry;
    const declared = entry.limits.max;
    const allowed = Math.min(declared ?? memoryLimitPages, memoryLimitPages);
    const field = fieldName(entry);
    return new WasmMemoryLimitError(
      `${moduleLabel}: the memory granted as ${field} may grow past the sandbox limit of ${allowed} pages ` +
        `(V8: ${memoryMatch[2]}); create it with maximum <= ${allowed}`,
      allowed,
      undefined,
      { cause: error },
    );
  }
  const match = LINK_ERROR.exec(error.message);
  const entry = memoryEntry ?? (match ? needed.find((i) => i.module === match[2] && i.name === match[3]) : undefined);
  const module = entry?.module ?? match?.[2] ?? '?';
  const name = entry?.name ?? match?.[3] ?? '?';
  const reason = memoryMatch?.[2] ?? match?.[4] ?? error.message.replace(/^WebAssembly\.Instance\(\): /, '');
  return new WasmImportError(
    `${moduleLabel}: the value granted as ${guestText(module)}.${guestText(name)} does not fit the module's import${entry ? ` (${describeImport(entry)})` : ''}: ${reason}`,
    module,
    name,
    entry?.kind ?? 'unknown',
    { cause: error },
  );
}
