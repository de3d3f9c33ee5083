/**
 * The modules a pool serves, as its calls need them: ids in order (a call names its module by
 * index on the wire), export indexes for the binary layouts, and the exports it refuses because
 * their signatures carry references, which cannot cross to another thread.
 */
import { PoolModuleNotFoundError, ReferenceCrossingError } from '../errors.js';
import type { GuestModule } from '../host/guest-module.js';
import { guestText } from '../untrusted-text.js';
import type { ValueType } from '../wasm/wasm-binary.js';

const REFERENCE_TYPES: ReadonlySet<ValueType> = new Set(['funcref', 'externref', 'ref']);

/** A module's function exports whose signature has a reference type, with what they do with it. */
function referenceExports(module: GuestModule): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of module.inspect().exports) {
    const signature = entry.signature;
    if (entry.kind !== 'function' || signature === undefined) continue;
    const param = signature.params.find((t) => REFERENCE_TYPES.has(t));
    const result = signature.results.find((t) => REFERENCE_TYPES.has(t));
    if (param !== undefined) found.set(entry.name, `takes a reference (${param})`);
    else if (result !== undefined) found.set(entry.name, `returns a reference (${result})`);
  }
  return found;
}

export class PoolModules {
  /** Per module: export name → index in its inspection, for binary calls. */
  private readonly exportIndexes: Map<string, number>[];
  /** Per module: exports refused, and why. */
  private readonly references: Map<string, string>[];

  constructor(
    readonly ids: readonly string[],
    readonly modules: readonly GuestModule[],
  ) {
    this.exportIndexes = modules.map((m) => new Map(m.inspect().exports.map((e, i) => [e.name, i])));
    this.references = modules.map(referenceExports);
  }

  /** The index of module `id`, or -1. */
  indexOf(id: string): number {
    return this.ids.indexOf(id);
  }

  notFound(id: string): PoolModuleNotFoundError {
    const quoted = (name: string): string => `"${guestText(name, 80)}"`;
    return new PoolModuleNotFoundError(`the pool has no module ${quoted(id)}; modules: ${this.ids.map(quoted).join(', ')}`, id, [...this.ids]);
  }

  /** The export's index for the binary layouts; undefined when the module has no such export (the worker says so). */
  exportIndex(module: number, exportName: string): number | undefined {
    return this.exportIndexes[module]!.get(exportName);
  }

  /** Why a call to this export cannot be made on a worker, if it cannot. */
  refusal(module: number, exportName: string): ReferenceCrossingError | undefined {
    const references = this.references[module]!;
    const what = references.size === 0 ? undefined : references.get(exportName);
    if (what === undefined) return undefined;
    return new ReferenceCrossingError(`${this.ids[module]}: ${exportName}() ${what}, which cannot cross to a worker thread; call it in-process with WasmHost`, exportName);
  }
}
