/**
 * Measures what the entry/exit hooks themselves cost, on this machine, in this process, so the
 * instrumented profile can subtract it (see profiler/model/call-tree.ts `compensateOverhead`). A small
 * module calls an empty function in a loop, and runs the same loop without
 * the call; both are profiled through the real hooks of the recorder in use (the wasm
 * recorder's cost is a few times smaller than the JS builder's, and steadier).
 */
import { CallTreeBuilder } from '../../profiler/build/call-tree-builder.js';
import type { CallTree, HookOverhead } from '../../profiler/model/call-tree.js';
import { WasmHost } from '../host.js';
import { CallTreeRecorder } from './call-tree-recorder.js';

const CALLS = 100_000;
const ROUNDS = 7;
const measured = new Map<'wasm' | 'javascript', HookOverhead>();

/**
 * The calibration module, assembled from:
 *   (func $leaf)
 *   (func (export "withCalls") (param $n i32) (local $i i32)
 *     (loop $again (call $leaf) (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $again (i32.lt_s (local.get $i) (local.get $n)))))
 *   (func (export "withoutCalls") (param $n i32) (local $i i32)
 *     (loop $again (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $again (i32.lt_s (local.get $i) (local.get $n)))))
 * Kept as bytes so that calibrating needs no text assembler.
 */
const CALIBRATION_MODULE =
  '0061736d0100000001080260000060017f00030403000101071c02097769746843616c6c7300010c776974686f757443616c6c7300020a3203' +
  '02000b1701017f03401000200141016a210120012000480d000b0b1501017f0340200141016a210120012000480d000b0b';

function calibrationModule(): Uint8Array {
  return Uint8Array.from(Buffer.from(CALIBRATION_MODULE, 'hex'));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Hook overhead in ns of the given recorder (measured once per process and recorder, ≈50 ms). */
export function hookOverhead(recorder: 'wasm' | 'javascript' = 'wasm'): HookOverhead {
  const known = measured.get(recorder);
  if (known !== undefined) return known;
  const host = new WasmHost({ instrumentCacheDir: false });
  const module = host.loadSync(calibrationModule(), { instrument: { hooks: true }, label: 'hook calibration' });
  const names = module.instrumentation!.profiledFunctions;
  const indices = names.map((_, id) => id);
  const perCall: number[] = [];
  const perChild: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let tree: () => CallTree;
    const clock = (): number => performance.now() * 1e6;
    if (recorder === 'wasm') {
      const wasm = new CallTreeRecorder('wall');
      const sandbox = module.instantiate({ linkedHooks: wasm.linkedHooks(clock) });
      sandbox.call('withCalls', CALLS);
      sandbox.call('withoutCalls', CALLS);
      tree = () => wasm.build(names, indices, 'instrumented', 'nanoseconds', []);
    } else {
      const builder = new CallTreeBuilder(names, 'instrumented', 'nanoseconds');
      const sandbox = module.instantiate({ hooks: { enter: (id) => builder.enter(id, clock()), exit: (id) => builder.exit(id, clock()) } });
      sandbox.call('withCalls', CALLS);
      sandbox.call('withoutCalls', CALLS);
      tree = () => builder.build();
    }
    const root = tree().root;
    const withCalls = root.children.find((c) => c.name === names[1])!;
    const withoutCalls = root.children.find((c) => c.name === names[2])!;
    const leaf = withCalls.children[0]!;
    perCall.push(leaf.self / leaf.calls);
    perChild.push(Math.max(0, (withCalls.self - withoutCalls.self) / leaf.calls));
  }
  // The first rounds run before V8 has optimised the hooks: keep the later ones.
  const overhead = { perCall: median(perCall.slice(2)), perChildCall: median(perChild.slice(2)) };
  measured.set(recorder, overhead);
  return overhead;
}
