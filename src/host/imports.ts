/**
 * Capability-based linking: the import object handed to V8 holds exactly the imports the
 * module declares, each taken from what the caller granted (or, for AssemblyScript's
 * `env.abort/trace/seed`, from the host's stand-ins). Nothing else is reachable.
 */
import { WasmImportError, WasmMemoryLimitError } from '../errors.js';
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

export function buildImportObject(
  moduleLabel: string,
  needed: readonly ImportEntry[],
  granted: GrantedImports,
  assemblyScriptEnv: () => Record<string, unknown>,
  memoryLimitPages: number,
): WebAssembly.Imports {
  const result: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  let hostEnv: Record<string, unknown> | undefined;
  for (const entry of needed) {
    const namespace = granted[entry.module];
    const hasGrant = namespace !== undefined && Object.prototype.hasOwnProperty.call(namespace, entry.name);
    let value: unknown = hasGrant ? namespace[entry.name] : undefined;
    const field = `${entry.module}.${entry.name}`;
    if (!hasGrant) {
      const standIn = entry.module === 'env' ? ASSEMBLYSCRIPT_IMPORTS[entry.name] : undefined;
      if (entry.kind === 'function' && standIn !== undefined && sameType(entry.type, standIn)) {
        hostEnv ??= assemblyScriptEnv();
        value = hostEnv[entry.name];
      } else {
        throw new WasmImportError(
          `${moduleLabel} imports ${field} (${describeImport(entry)}), which was not granted; ` +
            `pass it as imports.${entry.module}.${entry.name} to grant it`,
          entry.module,
          entry.name,
          entry.kind,
        );
      }
    } else if (!kindMatches(entry, value)) {
      throw new WasmImportError(
        `${moduleLabel} imports ${field} as a ${describeImport(entry)}, but the granted value is ${describeValue(value)}`,
        entry.module,
        entry.name,
        entry.kind,
      );
    }
    if (entry.kind === 'memory') {
      const pages = (value as WebAssembly.Memory).buffer.byteLength / 65536;
      if (pages > memoryLimitPages) {
        throw new WasmMemoryLimitError(
          `${moduleLabel}: the memory granted as ${field} already has ${pages} pages, over the limit of ${memoryLimitPages}; ` +
            `grant a smaller memory or raise memoryLimitPages`,
          memoryLimitPages,
          pages,
        );
      }
    }
    (result[entry.module] ??= {})[entry.name] = value as WebAssembly.ImportValue;
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
  if (memoryMatch !== null) {
    const entry = needed.filter((i) => i.kind === 'memory')[Number(memoryMatch[1])];
    const declared = entry?.kind === 'memory' ? entry.limits.max : undefined;
    const allowed = Math.min(declared ?? memoryLimitPages, memoryLimitPages);
    const field = entry === undefined ? 'memory' : `${entry.module}.${entry.name}`;
    return new WasmMemoryLimitError(
      `${moduleLabel}: the memory granted as ${field} may grow past the sandbox limit of ${allowed} pages ` +
        `(V8: ${memoryMatch[2]}); create it with maximum <= ${allowed}`,
      allowed,
      undefined,
      { cause: error },
    );
  }
  const match = LINK_ERROR.exec(error.message);
  const entry = match ? needed.find((i) => i.module === match[2] && i.name === match[3]) : undefined;
  const module = match?.[2] ?? '?';
  const name = match?.[3] ?? '?';
  const reason = match?.[4] ?? error.message.replace(/^WebAssembly\.Instance\(\): /, '');
  return new WasmImportError(
    `${moduleLabel}: the value granted as ${module}.${name} does not fit the module's import${entry ? ` (${describeImport(entry)})` : ''}: ${reason}`,
    module,
    name,
    entry?.kind ?? 'unknown',
    { cause: error },
  );
}
