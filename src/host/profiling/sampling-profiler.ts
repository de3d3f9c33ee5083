/**
 * The sampling mode: V8's own sampling profiler through `node:inspector`, converted to a call
 * tree that keeps the guest's wasm frames and the host boundary, and drops unrelated
 * JavaScript. Overhead is V8's sampler only; the module is not rewritten.
 *
 * Which frames are the guest's is decided by code identity, not by name: other wasm runs in
 * the process too (the library's own HDR histograms, other modules), and names are guest text
 * (a guest may call a function `js-to-wasm:i:i` or give two the same name). V8 gives every
 * compiled module a script id, and a wasm frame's column is the byte offset of its function's
 * body. The guest's script id is read once per profile from the `[[FunctionLocation]]` of one
 * of its exported functions (an instance the module made); a frame of that script whose
 * column starts a function body is that function, by index — anything else is not guest code.
 */
import { Session } from 'node:inspector';
import { childFor, emptyTree, finishRoot, recomputeTotals, type CallTree, type CallTreeNode, type FrameIdentity } from '../../profiler/model/call-tree.js';
import { GuestModule } from '../guest-module.js';
import type { Sandbox } from '../sandbox.js';

interface V8Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly scriptId?: string; readonly columnNumber?: number };
  readonly children?: readonly number[];
}

interface V8Profile {
  readonly nodes: readonly V8Node[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Where the guest's code is in V8's profile. */
export interface GuestScript {
  /** V8's script id of the guest's compiled module. */
  readonly scriptId: string;
  /** The guest function whose body starts at byte `column` of the module, if one does. */
  functionAt(column: number): FrameIdentity | undefined;
  /**
   * Guest functions the host can enter (exports, the start function), by index: a sample whose
   * outermost guest frame is another function has lost its callers. Absent when any function
   * may be entered (the module shares a table with the host), so none can be told.
   */
  readonly entries?: ReadonlySet<number>;
}

export const SAMPLING_NOTE =
  'sampled by V8: a sample taken as a function starts or returns can miss its callers (V8 walks the stack from frames not yet or no longer set up), so call paths are approximate; prefer the instrumented tree for call paths';

/** How many samples lost their callers: their outermost guest frame is no function the host can enter. */
export function lostCallersNote(lost: number, samples: number): string {
  const share = samples === 0 ? 0 : (100 * lost) / samples;
  return `${lost} of ${samples} guest samples (${share.toFixed(1)}%) lost their callers and sit at the root (counted where the outermost frame is no function the host can call: a lower bound)`;
}

export const NO_GUEST_NOTE =
  'no guest frames: no live instance of the module with an exported function was found while profiling, so its code could not be told from other wasm';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/**
 * Runs `workload` (awaited when it returns a promise) under V8's sampling profiler and returns
 * the guest's call tree: frames of `module`'s code only (sandboxes made from it before or
 * during the workload), not of other wasm modules running meanwhile.
 */
export async function profileBySampling(
  target: GuestModule | Sandbox,
  workload: () => void | Promise<unknown>,
  options: { intervalUs?: number } = {},
): Promise<CallTree> {
  // 250 µs: ≈4,000 samples a second, a few percent of overhead at most (bench/profiler).
  const intervalUs = options.intervalUs ?? 250;
  const session = new Session();
  session.connect();
  let profile: V8Profile;
  let guest: GuestScript | undefined;
  const module = target instanceof GuestModule ? target : target.module;
  const known = target instanceof GuestModule ? undefined : target.compiledInstance;
  module.watchInstances(true);
  try {
    guest = await findGuestScript(session, module, known);
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
    await post(session, 'Profiler.start');
    try {
      await workload();
    } finally {
      // Right after the workload, while an instance it made is surely still alive.
      guest ??= await findGuestScript(session, module, known);
      profile = (await post<{ profile: V8Profile }>(session, 'Profiler.stop')).profile;
    }
    await post(session, 'Profiler.disable');
  } finally {
    module.watchInstances(false);
    session.disconnect();
  }
  return v8ProfileToCallTree(profile, guest, intervalUs * 1000);
}

/** The guest's script id and function body offsets, from an exported function of its latest instance. */
export async function findGuestScript(session: Session, module: GuestModule, known?: WebAssembly.Instance): Promise<GuestScript | undefined> {
  const target = module.samplingTarget();
  const instance = known ?? target.instance;
  const parsed = target.parsed;
  if (instance === undefined) return undefined;
  const imported = parsed.importedFunctionCount;
  const probe = parsed.exports.find((e) => e.kind === 'function' && e.index >= imported && typeof instance.exports[e.name] === 'function');
  if (probe === undefined) return undefined;
  const location = await functionLocation(session, instance.exports[probe.name] as () => unknown);
  const declared = parsed.functionBodyOffsets[probe.index - imported];
  if (location === undefined || declared === undefined) return undefined;
  // The compiled bytes may differ from the parsed ones before the code section (the memory
  // maximum the host caps), never inside it: one shift moves every body.
  const shift = location.columnNumber - declared;
  const byColumn = new Map(parsed.functionBodyOffsets.map((offset, i) => [offset + shift, imported + i]));
  // Indices of a rewritten module count the host's imports; profiles use the module as given.
  const guestImports = module.inspect().imports.filter((i) => i.kind === 'function').length;
  const hostImports = imported - guestImports;
  const frames = new Map<number, FrameIdentity>();
  // A table the host holds lets it call any function in it: then no sample can be said to have lost its callers.
  const sharesTable = parsed.exports.some((e) => e.kind === 'table') || module.inspect().imports.some((i) => i.kind === 'table');
  const entries = new Set(parsed.exports.filter((e) => e.kind === 'function').map((e) => e.index - hostImports));
  if (parsed.startFunction !== undefined) entries.add(parsed.startFunction - hostImports);
  return {
    scriptId: location.scriptId,
    ...(sharesTable ? {} : { entries }),
    functionAt(column: number): FrameIdentity | undefined {
      const index = byColumn.get(column);
      if (index === undefined) return undefined;
      let frame = frames.get(index);
      if (frame === undefined) frames.set(index, (frame = { name: module.functionName(index), functionIndex: index - hostImports }));
      return frame;
    },
  };
}

/** `[[FunctionLocation]]` of a function, as the inspector reports it (scriptId, 0-based column). */
async function functionLocation(session: Session, fn: () => unknown): Promise<{ scriptId: string; columnNumber: number } | undefined> {
  // The inspector reaches objects through expressions: park the function under a one-off name.
  const key = `__wasm_sandbox_probe_${process.pid}_${Math.random().toString(36).slice(2)}`;
  const objectGroup = key;
  Object.defineProperty(globalThis, key, { value: fn, configurable: true, enumerable: false });
  try {
    const { result } = await post<{ result: { objectId?: string } }>(session, 'Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}]`, objectGroup });
    if (result.objectId === undefined) return undefined;
    const { internalProperties } = await post<{ internalProperties?: { name: string; value?: { value?: { scriptId?: string; columnNumber?: number } } }[] }>(
      session,
      'Runtime.getProperties',
      { objectId: result.objectId, ownProperties: true },
    );
    const location = internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
    if (location?.scriptId === undefined || location.columnNumber === undefined) return undefined;
    return { scriptId: location.scriptId, columnNumber: location.columnNumber };
  } finally {
    delete (globalThis as Record<string, unknown>)[key];
    await post(session, 'Runtime.releaseObjectGroup', { objectGroup }).catch(() => undefined);
  }
}

const HOST: FrameIdentity = { name: '(host)' };
const JS_TO_WASM = /^js-to-wasm(:|$)/;

/**
 * Keeps the guest's wasm frames and the host boundary between them; weights are samples.
 * Without `guest` (its code could not be located) the tree is empty, with a note saying why.
 */
export function v8ProfileToCallTree(profile: V8Profile, guest: GuestScript | undefined, sampleIntervalNs: number): CallTree {
  const tree = emptyTree('sampling', 'samples', guest === undefined ? [SAMPLING_NOTE, NO_GUEST_NOTE] : [SAMPLING_NOTE]);
  if (guest === undefined) return { ...tree, sampleIntervalNs };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const ours = (node: V8Node | undefined): boolean => node?.callFrame.scriptId === guest.scriptId;
  // A guest frame: the guest's script, at the start of one of its function bodies. V8's
  // js-to-wasm wrapper reports its export's script and offset too; it is the one entered from
  // outside (its caller is neither guest code nor another wrapper), where the guest function
  // it enters — whatever it is called — has the wrapper as its caller.
  const frameOf = (node: V8Node): FrameIdentity | undefined => {
    if (!ours(node)) return undefined;
    const frame = guest.functionAt(node.callFrame.columnNumber ?? -1);
    if (frame === undefined || !JS_TO_WASM.test(node.callFrame.functionName)) return frame;
    const caller = byId.get(parentOf.get(node.id) ?? -1);
    return ours(caller) || JS_TO_WASM.test(caller?.callFrame.functionName ?? '') ? frame : undefined;
  };
  // The guest stack of a V8 node: guest frames from the outermost one down, with one "(host)"
  // for each run of anything else between or below them (JavaScript, other modules' wasm).
  const stacks = new Map<number, FrameIdentity[] | null>();
  const stackOf = (id: number): FrameIdentity[] | null => {
    if (stacks.has(id)) return stacks.get(id)!;
    const path: V8Node[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) path.push(byId.get(at)!);
    path.reverse();
    let result: FrameIdentity[] | null = null;
    let inHost = false;
    for (const node of path) {
      const frame = frameOf(node);
      if (frame !== undefined) {
        (result ??= []).push(frame);
        inHost = false;
      } else if (result !== null && !inHost) {
        result.push(HOST);
        inHost = true;
      }
    }
    stacks.set(id, result);
    return result;
  };

  let samples = 0;
  let lost = 0;
  for (const id of profile.samples ?? []) {
    const stack = stackOf(id);
    if (stack === null) continue; // no guest frame: unrelated JavaScript or wasm, idle, GC
    samples++;
    const outermost = stack[0]!.functionIndex;
    if (guest.entries !== undefined && outermost !== undefined && !guest.entries.has(outermost)) lost++;
    let node: CallTreeNode = tree.root;
    for (const frame of stack) node = childFor(node, frame);
    node.self += 1;
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  const notes = guest.entries === undefined ? tree.notes : [...tree.notes, lostCallersNote(lost, samples)];
  return { ...tree, notes, sampleIntervalNs };
}
