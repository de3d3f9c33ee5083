/**
 * The name section as V8 (11.3, Node 20) reads it, and the copy binaryen is given.
 *
 * A name section is guest data that only labels things, so V8 never rejects a module for a
 * bad one: it takes what it can and ignores the rest. Our names must be the ones V8 shows in
 * stack traces, whatever the bytes, so this file follows V8's decoder rule for rule (each
 * checked against V8 itself in test/guest-names.test.ts):
 *
 * - Only the first custom section named `name` counts; later ones are ignored.
 * - Subsections are read in order: an id byte (≥ 0x80 ends the walk), a u32 size that must fit
 *   inside the section (else the walk ends). Unknown ids are skipped by their size.
 * - Function names (id 1): the first such subsection only. A count, then (index, name) pairs
 *   read until the count is reached or the bytes fail — pairs already read are kept, and
 *   reading runs to the end of the section, not of the subsection. A name that is not valid
 *   UTF-8 is skipped; for an index named twice the first name wins; empty names count.
 * - Module name (id 0): every such subsection; the last valid one wins. V8 reads the string
 *   and continues right after it, not after the subsection's declared size.
 *
 * binaryen reads name sections differently (the last duplicate wins, the last name section
 * wins, and it refuses many broken ones outright), so before a rewrite the host hands it a
 * fresh section holding exactly V8's decision — `repairNameSection`.
 */
import { encodeU32 } from './leb128.js';
export interface DecodedNames {
  /** The module's name, when a module-name subsection V8 accepts exists ('' counts). */
  readonly moduleName: string | undefined;
  /** Function names by index in the function index space, as V8 names them. */
  readonly functionNames: ReadonlyMap<number, string>;
}

// ignoreBOM keeps a leading U+FEFF, as V8 does.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A failed read: V8's decoder stops where it fails. */
const FAIL = -1;

/** V8's u32 LEB128: at most 5 bytes, no bits beyond 32. Returns [value, next] or FAIL. */
function u32(bytes: Uint8Array, pos: number, end: number): [number, number] | typeof FAIL {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return FAIL;
    const b = bytes[pos++]!;
    if (i === 4 && (b & 0xf0) !== 0) return FAIL;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [result, pos];
  }
  return FAIL;
}

/** A length-prefixed string's bytes: [start, end] or FAIL when it runs past `end`. */
function stringAt(bytes: Uint8Array, pos: number, end: number): [number, number] | typeof FAIL {
  const length = u32(bytes, pos, end);
  if (length === FAIL) return FAIL;
  const [size, start] = length;
  return start + size > end ? FAIL : [start, start + size];
}

function utf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return strictUtf8.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Walks subsection headers from `pos`; `visit` returns where the next header starts, or FAIL to stop. */
function walkSubsections(bytes: Uint8Array, pos: number, end: number, visit: (id: number, payload: number, payloadEnd: number) => number): void {
  while (pos < end) {
    const id = bytes[pos++]!;
    if ((id & 0x80) !== 0) return;
    const size = u32(bytes, pos, end);
    if (size === FAIL) return;
    const [length, payload] = size;
    if (payload + length > end) return;
    const next = visit(id, payload, payload + length);
    if (next === FAIL) return;
    pos = next;
  }
}

/**
 * Decodes one name section's payload (`start` is just after the section's own name `name`).
 * Bounded by the bytes: a claimed count of 2³²−1 entries reads only the entries present.
 */
export function decodeNameSection(bytes: Uint8Array, start: number, end: number): DecodedNames {
  let moduleName: string | undefined;
  walkSubsections(bytes, start, end, (id, payload, payloadEnd) => {
    if (id !== 0) return payloadEnd;
    const text = stringAt(bytes, payload, end);
    if (text === FAIL) return FAIL;
    moduleName = utf8(bytes, text[0], text[1]) ?? moduleName;
    return text[1];
  });

  const functionNames = new Map<number, string>();
  walkSubsections(bytes, start, end, (id, payload, payloadEnd) => {
    if (id !== 1) return payloadEnd;
    const counted = u32(bytes, payload, end);
    if (counted === FAIL) return FAIL;
    let [count, pos] = counted;
    for (; count > 0; count--) {
      const index = u32(bytes, pos, end);
      if (index === FAIL) break;
      const text = stringAt(bytes, index[1], end);
      if (text === FAIL) break;
      pos = text[1];
      const name = utf8(bytes, text[0], text[1]);
      if (name !== undefined && !functionNames.has(index[0])) functionNames.set(index[0], name);
    }
    return FAIL; // only the first function-names subsection counts
  });
  return { moduleName, functionNames };
}

/** Where a custom section's body starts and whether it is called `name`; undefined if unreadable. */
export function customSectionName(bytes: Uint8Array, bodyStart: number, end: number): { name: string; payload: number } | undefined {
  const text = stringAt(bytes, bodyStart, end);
  if (text === FAIL) return undefined;
  const name = utf8(bytes, text[0], text[1]);
  return name === undefined ? undefined : { name, payload: text[1] };
}

function encodeString(text: string, out: number[]): void {
  const utf8Bytes = new TextEncoder().encode(text);
  encodeU32(utf8Bytes.length, out);
  for (const b of utf8Bytes) out.push(b);
}

/** What `repairNameSection` needs to know about the module. */
export interface NamedModule {
  readonly sections: readonly { readonly id: number; readonly start: number; readonly end: number }[];
  /** Every function in the index space, imports first. */
  readonly functionTypes: readonly unknown[];
  readonly moduleName: string | undefined;
  readonly functionNames: ReadonlyMap<number, string>;
}

/**
 * The module with every `name` section replaced by one that says exactly what V8 decided:
 * the module name and the function names, each function at most once, in index order, only
 * for functions that exist. Dropped on the way, because binaryen would take them as symbols
 * the rewriter relies on: names starting with `reservedPrefix`, the host's (a guest function
 * called `__wasm_sandbox_budget_exhausted` would otherwise stand in for the host's budget
 * import), and every other subsection (locals, labels, globals, types, …), which V8 never
 * shows and binaryen refuses when malformed. Users still see the guest's own names: the host
 * names functions from the original bytes. Returns `bytes` itself when it has no name section.
 */
export function repairNameSection(bytes: Uint8Array, parsed: NamedModule, reservedPrefix: string): Uint8Array {
  const named = parsed.sections.filter((s) => s.id === 0 && isNameSection(bytes, s));
  if (named.length === 0) return bytes;

  const body: number[] = [];
  encodeString('name', body);
  if (parsed.moduleName !== undefined) {
    const sub: number[] = [];
    encodeString(parsed.moduleName, sub);
    body.push(0);
    encodeU32(sub.length, body);
    for (const b of sub) body.push(b);
  }
  const kept = [...parsed.functionNames]
    .filter(([index, name]) => index < parsed.functionTypes.length && !name.startsWith(reservedPrefix))
    .sort((a, b) => a[0] - b[0]);
  if (kept.length > 0) {
    const sub: number[] = [];
    encodeU32(kept.length, sub);
    for (const [index, name] of kept) {
      encodeU32(index, sub);
      encodeString(name, sub);
    }
    body.push(1);
    encodeU32(sub.length, body);
    for (const b of sub) body.push(b);
  }
  const head: number[] = [0];
  encodeU32(body.length, head);

  const drop = new Set(named);
  const keptLength = parsed.sections.reduce((n, s) => (drop.has(s) ? n : n + s.end - s.start), 8);
  const out = new Uint8Array(keptLength + head.length + body.length);
  out.set(bytes.subarray(0, 8));
  let at = 8;
  for (const s of parsed.sections) {
    if (drop.has(s)) continue;
    out.set(bytes.subarray(s.start, s.end), at);
    at += s.end - s.start;
  }
  out.set(head, at);
  out.set(body, at + head.length);
  return out;
}

function isNameSection(bytes: Uint8Array, section: { readonly start: number; readonly end: number }): boolean {
  const size = u32(bytes, section.start + 1, section.end);
  return size !== FAIL && customSectionName(bytes, size[1], section.end)?.name === 'name';
}
