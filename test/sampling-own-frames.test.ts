/**
 * The sampling profiler keeps the guest's own frames only. The library runs wasm of its own
 * (hdr-histogram-js records every call's latency) and other modules may run meanwhile: V8's
 * profile shows all of it, and the guest's frames are told apart by their script, not by name.
 */
import { Session } from 'node:inspector';
import { describe, expect, it } from 'vitest';
import { WasmHost, profileBySampling, type CallTree, type CallTreeNode } from '../src/index.js';
import { findGuestScript, v8ProfileToCallTree } from '../src/host/profiling/sampling-profiler.js';
import { createLatencyHistogram, releaseHistogram } from '../src/profiler/build/latency-histogram.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost();
const PROFILE_FUNCTIONS = ['assembly/profile/outer', 'assembly/profile/slow', 'assembly/profile/fast', 'assembly/profile/kernel'];

function names(tree: CallTree): Set<string> {
  const out = new Set<string>();
  const go = (node: CallTreeNode): void => node.children.forEach((c) => (out.add(c.name), go(c)));
  go(tree.root);
  return out;
}

/** Keeps the library's HDR histogram wasm busy for about as long as the guest runs. */
function busyHistogram(values: number): void {
  const histogram = createLatencyHistogram();
  for (let i = 1; i <= values; i++) histogram.recordValue(i * 7919);
  releaseHistogram(histogram);
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

describe('sampling profiler: only the guest\'s frames', () => {
  it('V8 samples the histogram\'s wasm too; none of it reaches the guest\'s tree', { retry: 2 }, async () => {
    const module = await host.load(guestPath('profile'));
    module.watchInstances(true); // as profileBySampling does around its workload
    const sandbox = module.instantiate();
    const session = new Session();
    session.connect();
    try {
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
      await post(session, 'Profiler.start');
      for (let i = 0; i < 10; i++) {
        sandbox.call('outer', 50_000);
        busyHistogram(200_000);
      }
      const guest = (await findGuestScript(session, module))!;
      const { profile } = await post<{ profile: Parameters<typeof v8ProfileToCallTree>[0] }>(session, 'Profiler.stop');
      // V8's view: wasm of another script was sampled, and it uses function indices the guest has too.
      const hits = new Map<number, number>();
      for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
      const foreign = profile.nodes.filter((n) => n.callFrame.url.startsWith('wasm://') && n.callFrame.scriptId !== guest.scriptId);
      expect(foreign.reduce((n, node) => n + (hits.get(node.id) ?? 0), 0)).toBeGreaterThan(20);
      // Ours: the guest's functions, nothing else.
      const tree = v8ProfileToCallTree(profile, guest, 100_000);
      expect(tree.root.children.map((c) => c.name)).toEqual(['assembly/profile/outer']);
      expect([...names(tree)].every((n) => PROFILE_FUNCTIONS.includes(n))).toBe(true);
    } finally {
      session.disconnect();
    }
  });

  it('profileBySampling: the histogram busy beside the guest and inside a granted import', { retry: 2 }, async () => {
    const profile = await host.load(guestPath('profile'));
    const sandbox = profile.instantiate();
    const beside = await profileBySampling(sandbox, () => {
      for (let i = 0; i < 10; i++) {
        sandbox.call('outer', 50_000);
        busyHistogram(200_000);
      }
    }, { intervalUs: 100 });
    expect(beside.root.children.map((c) => c.name)).toEqual(['assembly/profile/outer']);
    expect([...names(beside)].every((n) => PROFILE_FUNCTIONS.includes(n))).toBe(true);

    const imports = await host.load(guestPath('imports'));
    const logging = imports.instantiate({
      imports: {
        host: { memory: new WebAssembly.Memory({ initial: 1, maximum: 4 }), table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), scale: 3, log: () => busyHistogram(20_000) },
      },
    });
    const inside = await profileBySampling(logging, () => {
      for (let i = 0; i < 40; i++) logging.call('logScaled', i);
    }, { intervalUs: 100 });
    // logScaled (no name section: func[1]) and the host boundary, where the histogram ran.
    expect(inside.root.children.map((c) => [c.name, c.functionIndex, c.children.map((k) => k.name)])).toEqual([['func[1]', 1, ['(host)']]]);
  });
});
