/**
 * The sampling mode: V8's own sampling profiler through `node:inspector`, converted to a call
 * tree that keeps the guest's wasm frames (named from the module when V8 knows only
 * `wasm-function[N]`) and the host boundary, and drops unrelated JavaScript. Overhead is
 * V8's sampler only; the module is not rewritten.
 */
import { Session } from 'node:inspector';
import { childNamed, emptyTree, finishRoot, recomputeTotals, type CallTree, type CallTreeNode } from '../profiler/call-tree.js';
import type { GuestModule } from './guest-module.js';

interface V8Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface V8Profile {
  readonly nodes: readonly V8Node[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export const SAMPLING_NOTE =
  'sampled by V8: after tier-up V8 inlines small wasm functions, so callers are missing from many samples; prefer the instrumented tree for call paths';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/**
 * Runs `workload` (awaited when it returns a promise) under V8's sampling profiler and returns
 * the guest's call tree. Wasm frames from other modules running meanwhile are included too.
 */
export async function profileBySampling(
  module: GuestModule,
  workload: () => void | Promise<unknown>,
  options: { intervalUs?: number } = {},
): Promise<CallTree> {
  // 250 µs: ≈4,000 samples a second, a few percent of overhead at most (bench/profiler).
  const intervalUs = options.intervalUs ?? 250;
  const session = new Session();
  session.connect();
  let profile: V8Profile;
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
    await post(session, 'Profiler.start');
    try {
      await workload();
    } finally {
      profile = (await post<{ profile: V8Profile }>(session, 'Profiler.stop')).profile;
    }
    await post(session, 'Profiler.disable');
  } finally {
    session.disconnect();
  }
  return v8ProfileToCallTree(profile, (index) => module.functionName(index), intervalUs * 1000);
}

const WASM_FUNCTION = /^(?:\$?wasm-function\[(\d+)\]|(.*))$/;

/** Keeps wasm frames and the host boundary between them; weights are samples. */
export function v8ProfileToCallTree(profile: V8Profile, nameOf: (index: number) => string, sampleIntervalNs: number): CallTree {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // V8's transition stubs (js-to-wasm, wasm-to-js) are the boundary, not guest code.
  const isWasm = (node: V8Node): boolean =>
    node.callFrame.url.startsWith('wasm://') && !/^(js-to-wasm|wasm-to-js)/.test(node.callFrame.functionName);
  const frameName = (node: V8Node): string => {
    const match = WASM_FUNCTION.exec(node.callFrame.functionName);
    if (match?.[1] !== undefined) return nameOf(Number(match[1]));
    return node.callFrame.functionName.replace(/^\$/, '') || '(anonymous wasm)';
  };
  // The guest stack of a V8 node: wasm frames, with "(host)" where JavaScript sits between two.
  const stacks = new Map<number, string[] | null>();
  const stackOf = (id: number): string[] | null => {
    if (stacks.has(id)) return stacks.get(id)!;
    const path: V8Node[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) path.push(byId.get(at)!);
    path.reverse();
    const first = path.findIndex(isWasm);
    let result: string[] | null = null;
    if (first >= 0 && isWasm(path[path.length - 1]!) ) {
      result = [];
      let inHost = false;
      for (const node of path.slice(first)) {
        if (isWasm(node)) {
          result.push(frameName(node));
          inHost = false;
        } else if (!inHost) {
          result.push('(host)');
          inHost = true;
        }
      }
    } else if (first >= 0) {
      // JavaScript called from the guest (a granted import): charge it to the host boundary.
      result = [...path.slice(first).filter(isWasm).map(frameName), '(host)'];
    }
    stacks.set(id, result);
    return result;
  };

  const tree = emptyTree('sampling', 'samples', [SAMPLING_NOTE]);
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const stack = stackOf(id);
    if (stack === null) continue; // unrelated JavaScript, idle, GC
    let node: CallTreeNode = tree.root;
    for (const name of stack) node = childNamed(node, name);
    node.self += 1;
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return { ...tree, sampleIntervalNs };
}
