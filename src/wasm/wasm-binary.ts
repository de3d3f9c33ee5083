/**
 * A small reader for the parts of the WebAssembly binary format the host needs and
 * V8 does not expose (Node 20 has no type reflection): function signatures, memory and
 * table limits, the name section; plus the one rewrite the host makes itself, capping
 * declared memory maxima. Pure code over bytes; V8 remains the validator.
 */
import { decodeNameSection } from './name-section.js';
import { encodeU32 } from './leb128.js';

export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | 'ref';

export interface FunctionType {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

export interface Limits {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly index64: boolean;
}

/** Where a limits entry sits in the file, so it can be rewritten. */
interface LimitsSite {
  readonly limits: Limits;
  readonly start: number;
  readonly end: number;
  /** Declared by an import (the object is the caller's), not by the module itself. */
  readonly imported?: boolean;
}

export type ImportDescriptor =
  | { readonly kind: 'function'; readonly type: FunctionType | undefined }
  | { readonly kind: 'table'; readonly element: ValueType; readonly limits: Limits }
  | { readonly kind: 'memory'; readonly limits: Limits }
  | { readonly kind: 'global'; readonly type: ValueType; readonly mutable: boolean }
  | { readonly kind: 'tag' };

export type ImportEntry = { readonly module: string; readonly name: string } & ImportDescriptor;

export type ExternalKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface ExportEntry {
  readonly name: string;
  readonly kind: ExternalKind;
  readonly index: number;
}

export interface ParsedModule {
  readonly types: readonly (FunctionType | undefined)[];
  readonly imports: readonly ImportEntry[];
  /** Type index of every function in the function index space (imports first). */
  readonly functionTypes: readonly (number | undefined)[];
  readonly importedFunctionCount: number;
  readonly tables: readonly { readonly element: ValueType; readonly limits: Limits }[];
  readonly memories: readonly Limits[];
  readonly globals: readonly { readonly type: ValueType; readonly mutable: boolean }[];
  readonly exports: readonly ExportEntry[];
  readonly startFunction: number | undefined;
  /** From the first name section, as V8 reads it (name-section.ts). */
  readonly moduleName: string | undefined;
  /** From the first name section, as V8 reads it: what V8 shows in stack traces. */
  readonly functionNames: ReadonlyMap<number, string>;
  readonly hasNameSection: boolean;
  /**
   * Byte offset of each defined function's body (just after its size), in index order: what V8
   * reports as a wasm frame's column in CPU profiles.
   */
  readonly functionBodyOffsets: readonly number[];
  readonly customSections: readonly string[];
  /** Memory limit entries in file order: imported memories first, then defined ones. */
  readonly memorySites: readonly LimitsSite[];
  /** Table limit entries in file order: imported tables first, then defined ones. */
  readonly tableSites: readonly LimitsSite[];
  /** Locals each defined function declares (parameters not included), in code section order. */
  readonly declaredLocals: readonly number[];
  readonly sections: readonly { readonly id: number; readonly start: number; readonly end: number }[];
}

/** Thrown for bytes this reader cannot follow; the caller lets V8 give the authoritative reason. */
export class BinaryFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, code: 10 } as const;
const KINDS: readonly ExternalKind[] = ['function', 'table', 'memory', 'global', 'tag'];
// ignoreBOM: a leading U+FEFF is part of a name (an export may be called just that), not a marker.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
    readonly end = bytes.length,
  ) {}

  byte(): number {
    if (this.pos >= this.end) throw new BinaryFormatError('unexpected end of section', this.pos);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 up to 2^53 (memory64 limits included). */
  u(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new BinaryFormatError('LEB128 number too long', this.pos);
  }

  /**
   * Unsigned LEB128 of at most 32 bits, as strictly as V8 reads it: at most 5 bytes, no bits
   * past the 32nd. (A lax read would let a rewrite of the limits re-encode a malformed number.)
   */
  u32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      if (i === 4 && (b & 0xf0) !== 0) throw new BinaryFormatError('LEB128 number past 32 bits', start);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    throw new BinaryFormatError('LEB128 number too long', start);
  }

  /** Signed LEB128: only skipped, the value is not needed. */
  skipSigned(): void {
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    throw new BinaryFormatError('LEB128 number too long', this.pos);
  }

  name(): string {
    const length = this.u();
    const start = this.pos;
    this.skip(length);
    return utf8.decode(this.bytes.subarray(start, start + length));
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new BinaryFormatError('unexpected end of section', this.pos);
    this.pos += n;
  }

  valueType(): ValueType {
    const code = this.byte();
    switch (code) {
      case 0x7f: return 'i32';
      case 0x7e: return 'i64';
      case 0x7d: return 'f32';
      case 0x7c: return 'f64';
      case 0x7b: return 'v128';
      case 0x70: return 'funcref';
      case 0x6f: return 'externref';
      case 0x63:
      case 0x64:
        this.skipSigned(); // heap type
        return 'ref';
      default:
        // other abbreviated reference types of the GC proposal
        if (code >= 0x69 && code <= 0x74) return 'ref';
        throw new BinaryFormatError(`unknown value type 0x${code.toString(16)}`, this.pos - 1);
    }
  }

  limits(): Limits {
    const flags = this.byte();
    if (flags > 0x07) throw new BinaryFormatError(`unknown limits flags 0x${flags.toString(16)}`, this.pos - 1);
    const read = flags & 0x04 ? () => this.u() : () => this.u32();
    const min = read();
    const max = flags & 0x01 ? read() : undefined;
    return { min, max, shared: (flags & 0x02) !== 0, index64: (flags & 0x04) !== 0 };
  }

  /** Skips a constant expression (global initialisers): just enough opcodes for real modules. */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b: return; // end
        case 0x41: case 0x42: this.skipSigned(); break; // i32/i64.const
        case 0x43: this.skip(4); break;
        case 0x44: this.skip(8); break;
        case 0x23: case 0xd2: this.u(); break; // global.get, ref.func
        case 0xd0: this.valueTypeOrHeap(); break; // ref.null
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const arithmetic
        case 0xfd: this.u(); this.skip(16); break; // v128.const
        case 0xfb: this.u(); this.u(); break; // GC constant ops with one immediate (approximate)
        default:
          throw new BinaryFormatError(`unsupported opcode 0x${op.toString(16)} in a constant expression`, this.pos - 1);
      }
    }
  }

  private valueTypeOrHeap(): void {
    const code = this.bytes[this.pos];
    if (code !== undefined && code >= 0x69 && code <= 0x74) this.pos++;
    else this.skipSigned();
  }
}

export function parseModule(bytes: Uint8Array): ParsedModule {
  if (bytes.length < 8) throw new BinaryFormatError('module shorter than its 8-byte header', bytes.length);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  header.forEach((expected, i) => {
    if (bytes[i] !== expected) throw new BinaryFormatError('not a WebAssembly 1.0 header', i);
  });
  const top = new Reader(bytes, 8);
  const types: (FunctionType | undefined)[] = [];
  const imports: ImportEntry[] = [];
  const functionTypes: (number | undefined)[] = [];
  const tables: { element: ValueType; limits: Limits }[] = [];
  const memories: Limits[] = [];
  const globals: { type: ValueType; mutable: boolean }[] = [];
  const exports: ExportEntry[] = [];
  const memorySites: LimitsSite[] = [];
  const tableSites: LimitsSite[] = [];
  const declaredLocals: number[] = [];
  const sections: { id: number; start: number; end: number }[] = [];
  const customSections: string[] = [];
  let functionNames: ReadonlyMap<number, string> = new Map();
  const functionBodyOffsets: number[] = [];
  let moduleName: string | undefined;
  let startFunction: number | undefined;
  let hasNameSection = false;
  let importedFunctionCount = 0;

  while (top.pos < bytes.length) {
    const start = top.pos;
    const id = top.byte();
    const size = top.u();
    const bodyStart = top.pos;
    const end = bodyStart + size;
    if (end > bytes.length) throw new BinaryFormatError(`section ${id} runs past the end of the module`, start);
    sections.push({ id, start, end });
    const r = new Reader(bytes, bodyStart, end);
    switch (id) {
      case SECTION.custom: {
        const name = r.name();
        customSections.push(name);
        if (name === 'name' && !hasNameSection) {
          // V8 reads the first name section only, and never refuses a module for it.
          hasNameSection = true;
          ({ moduleName, functionNames } = decodeNameSection(bytes, r.pos, end));
        }
        break;
      }
      case SECTION.type:
        for (let n = r.u(); n > 0; n--) types.push(readType(r));
        break;
      case SECTION.import:
        for (let n = r.u(); n > 0; n--) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          if (kind === 0x00) {
            const typeIndex = r.u();
            functionTypes.push(typeIndex);
            importedFunctionCount++;
            imports.push({ module, name, kind: 'function', type: types[typeIndex] });
          } else if (kind === 0x01) {
            const element = r.valueType();
            const siteStart = r.pos;
            const limits = r.limits();
            tableSites.push({ limits, start: siteStart, end: r.pos, imported: true });
            imports.push({ module, name, kind: 'table', element, limits });
          } else if (kind === 0x02) {
            const siteStart = r.pos;
            const limits = r.limits();
            memorySites.push({ limits, start: siteStart, end: r.pos });
            imports.push({ module, name, kind: 'memory', limits });
          } else if (kind === 0x03) {
            const type = r.valueType();
            imports.push({ module, name, kind: 'global', type, mutable: r.byte() === 1 });
          } else if (kind === 0x04) {
            r.byte();
            r.u();
            imports.push({ module, name, kind: 'tag' });
          } else {
            throw new BinaryFormatError(`unknown import kind 0x${kind.toString(16)}`, r.pos - 1);
          }
        }
        break;
      case SECTION.function:
        for (let n = r.u(); n > 0; n--) functionTypes.push(r.u());
        break;
      case SECTION.table:
        for (let n = r.u(); n > 0; n--) {
          let withInit = false;
          if (bytes[r.pos] === 0x40 && bytes[r.pos + 1] === 0x00) {
            r.skip(2);
            withInit = true;
          }
          const element = r.valueType();
          const siteStart = r.pos;
          const limits = r.limits();
          tableSites.push({ limits, start: siteStart, end: r.pos });
          tables.push({ element, limits });
          if (withInit) r.skipConstExpr();
        }
        break;
      case SECTION.memory:
        for (let n = r.u(); n > 0; n--) {
          const siteStart = r.pos;
          const limits = r.limits();
          memories.push(limits);
          memorySites.push({ limits, start: siteStart, end: r.pos });
        }
        break;
      case SECTION.global:
        for (let n = r.u(); n > 0; n--) {
          const type = r.valueType();
          globals.push({ type, mutable: r.byte() === 1 });
          r.skipConstExpr();
        }
        break;
      case SECTION.export:
        for (let n = r.u(); n > 0; n--) {
          const name = r.name();
          const kindCode = r.byte();
          const kind = KINDS[kindCode];
          if (kind === undefined) throw new BinaryFormatError(`unknown export kind 0x${kindCode.toString(16)}`, r.pos - 1);
          exports.push({ name, kind, index: r.u() });
        }
        break;
      case SECTION.start:
        startFunction = r.u();
        break;
      case SECTION.code:
        for (let n = r.u(); n > 0; n--) {
          const size = r.u();
          functionBodyOffsets.push(r.pos);
          const bodyEnd = r.pos + size;
          let locals = 0;
          for (let groups = r.u(); groups > 0; groups--) {
            locals += r.u();
            r.valueType();
          }
          declaredLocals.push(locals);
          r.pos = bodyEnd;
        }
        break;
      default:
        break; // code, data, element, … are V8's business
    }
    top.pos = end;
  }

  return {
    types, imports, functionTypes, importedFunctionCount, tables, memories, globals, exports,
    startFunction, moduleName, functionNames, hasNameSection, functionBodyOffsets, customSections, memorySites, tableSites, declaredLocals, sections,
  };
}

function readType(r: Reader): FunctionType | undefined {
  const form = r.byte();
  if (form !== 0x60) {
    // GC proposal composite types: not callable from the host, so not described.
    throw new BinaryFormatError(`type form 0x${form.toString(16)} is not supported by the inspector`, r.pos - 1);
  }
  const params: ValueType[] = [];
  for (let n = r.u(); n > 0; n--) params.push(r.valueType());
  const results: ValueType[] = [];
  for (let n = r.u(); n > 0; n--) results.push(r.valueType());
  return { params, results };
}

/**
 * The name V8 gives function `index` (its name-section name: first entry wins, invalid UTF-8
 * none, empty names kept), else the host's own: `func[N]` where V8 prints `wasm-function[N]`,
 * `import:module.field` for an unnamed import. The exact guest text: escape it to show it.
 */
export function functionName(parsed: ParsedModule, index: number): string {
  const named = parsed.functionNames.get(index);
  if (named !== undefined) return named;
  if (index < parsed.importedFunctionCount) {
    let seen = 0;
    for (const entry of parsed.imports) {
      if (entry.kind !== 'function') continue;
      if (seen++ === index) return `import:${entry.module}.${entry.name}`;
    }
  }
  return `func[${index}]`;
}

export function exportSignature(parsed: ParsedModule, entry: ExportEntry): FunctionType | undefined {
  if (entry.kind !== 'function') return undefined;
  const typeIndex = parsed.functionTypes[entry.index];
  return typeIndex === undefined ? undefined : parsed.types[typeIndex];
}

/** Most 64 KiB pages a 32-bit memory may declare (the spec's limit; V8 refuses more). */
export const WASM_MAX_PAGES = 65536;
export const WASM_PAGE_BYTES = 65536;

/**
 * Limits the spec forbids, which a rewrite of maxima could otherwise turn into valid ones:
 * a minimum above the maximum, a 32-bit memory over 65,536 pages. Undefined when there are none.
 */
export function invalidLimits(parsed: ParsedModule): string | undefined {
  for (const { limits } of parsed.memorySites) {
    if (limits.max !== undefined && limits.min > limits.max) return `memory minimum ${limits.min} above its maximum ${limits.max}`;
    if (!limits.index64 && (limits.min > WASM_MAX_PAGES || (limits.max ?? 0) > WASM_MAX_PAGES)) return `memory over ${WASM_MAX_PAGES} pages`;
  }
  for (const { limits } of parsed.tableSites) {
    if (limits.max !== undefined && limits.min > limits.max) return `table minimum ${limits.min} above its maximum ${limits.max}`;
  }
  return undefined;
}

/**
 * Returns a copy of the module with every memory's maximum lowered to `maxPages` and every
 * table it defines to `maxEntries` (added where none was declared). V8 then refuses growth past them:
 * `memory.grow` and `table.grow` return -1. Sections other than the rewritten limits are
 * copied byte for byte. Check `invalidLimits` first: lowering a maximum can hide a limit V8
 * would refuse.
 */
export function capLimits(bytes: Uint8Array, parsed: ParsedModule, maxPages: number, maxEntries: number): Uint8Array {
  const cap = (site: LimitsSite, max: number) => {
    const out: number[] = [];
    const { shared, index64, min } = site.limits;
    out.push(0x01 | (shared ? 0x02 : 0) | (index64 ? 0x04 : 0));
    encodeU32(min, out);
    encodeU32(max, out);
    return { start: site.start, end: site.end, replacement: out };
  };
  const over = (max: number) => (site: LimitsSite) => site.limits.max === undefined || site.limits.max > max;
  const edits = [
    ...parsed.memorySites.filter(over(maxPages)).map((site) => cap(site, maxPages)),
    // A granted table is the caller's object, bounded by the maximum the caller gave it.
    ...parsed.tableSites.filter((site) => site.imported !== true).filter(over(maxEntries)).map((site) => cap(site, maxEntries)),
  ].sort((a, b) => a.start - b.start);
  if (edits.length === 0) return bytes;

  const chunks: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const section of parsed.sections) {
    const inside = edits.filter((e) => e.start >= section.start && e.end <= section.end);
    if (inside.length === 0) {
      chunks.push(bytes.subarray(section.start, section.end));
      continue;
    }
    // Re-encode the section: id, new size, body with the limits entries replaced.
    const header = new Reader(bytes, section.start);
    header.byte();
    header.u();
    const body: number[] = [];
    let cursor = header.pos;
    for (const edit of inside) {
      for (let i = cursor; i < edit.start; i++) body.push(bytes[i]!);
      body.push(...edit.replacement);
      cursor = edit.end;
    }
    for (let i = cursor; i < section.end; i++) body.push(bytes[i]!);
    const head: number[] = [bytes[section.start]!];
    encodeU32(body.length, head);
    chunks.push(Uint8Array.from(head), Uint8Array.from(body));
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.length;
  }
  return result;
}
