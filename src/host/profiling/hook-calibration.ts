/**
 * Measures what the entry/exit hooks themselves cost, on this machine, in this process, so the
 * instrumented profile can subtract it (see profiler/model/call-tree.ts `compensateOverhead`). A small
 * module calls an empty function in a loop, and runs the same loop without the call; both are
 * profiled through the hooks of the recorder in use (the wasm recorder or the JS builder),
 * linked as the hooks pass links them.
 *
 * The module comes with its hooks already in place (the shape the hooks pass gives it), so
 * calibrating needs neither binaryen nor a text assembler: `tree({ compensate: true })` works in a
 * process whose instrumented modules all came from the disk cache.
 */
import { CallTreeBuilder } from '../../profiler/build/call-tree-builder.js';
import type { CallTree, HookOverhead } from '../../profiler/model/call-tree.js';
import { HOOK_IMPORTS } from '../../instrument/abi.js';
import { CallTreeRecorder } from './call-tree-recorder.js';

const CALLS = 100_000;
const ROUNDS = 7;
const measured = new Map<'wasm' | 'javascript', HookOverhead>();

/** Profile ids in the calibration module. */
const LEAF = 0;
const WITH_CALLS = 1;
const WITHOUT_CALLS = 2;
const NAMES = ['leaf', 'withCalls', 'withoutCalls'];

/**
 * The calibration module, assembled from (its entries are the hooks pass's, eager: `defer` stays 0):
 *   (import "__wasm_sandbox" "enter" (func $enter (param i32 i32)))
 *   (import "__wasm_sandbox" "exit" (func $exit (param i32 i32 i32 i32)))
 *   (global $defer (mut i32) (i32.const 0)) (global $pid (mut i32) (i32.const -1)) (global $pc (mut i32) (i32.const 0))
 *   (func $leaf
 *     (if (global.get $defer) (then (global.set $pid (i32.const 0))) (else (call $enter (i32.const 0) (i32.const 0))))
 *     (call $exit (i32.const 0) (i32.const 0) (global.get $pid) (global.get $pc)) (global.set $pid (i32.const -1)))
 *   (func (export "withCalls") (param $n i32) (local $i i32)
 *     (if (global.get $defer) (then (global.set $pid (i32.const 1))) (else (call $enter (i32.const 1) (i32.const 0))))
 *     (loop $again (call $leaf) (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $again (i32.lt_s (local.get $i) (local.get $n))))
 *     (call $exit (i32.const 1) (i32.const 0) (global.get $pid) (global.get $pc)) (global.set $pid (i32.const -1)))
 *   (func (export "withoutCalls") (param $n i32) (local $i i32)
 *     (if (global.get $defer) (then (global.set $pid (i32.const 2))) (else (call $enter (i32.const 2) (i32.const 0))))
 *     (loop $again (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $again (i32.lt_s (local.get $i) (local.get $n))))
 *     (call $exit (i32.const 2) (i32.const 0) (global.get $pid) (global.get $pc)) (global.set $pid (i32.const -1)))
 */
const CALIBRATION_MODULE =
  '0061736d0100000001140460027f7f0060047f7f7f7f0060000060017f00022e020e5f5f7761736d5f73616e64626f7805656e74657200000e5f5f776173' +
  '6d5f73616e64626f78046578697400010304030203030610037f0141000b7f01417f0b7f0141000b071c02097769746843616c6c7300030c776974686f75' +
  '7443616c6c7300040a8c010320002300044041002401054100410010000b41004100230123021001417f24010b3501017f23000440410124010541014100' +
  '10000b03401002200141016a210120012000480d000b41014100230123021001417f24010b3301017f2300044041022401054102410010000b0340200141' +
  '016a210120012000480d000b41024100230123021001417f24010b';

let compiled: WebAssembly.Module | undefined;

function calibrationModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(Uint8Array.from(Buffer.from(CALIBRATION_MODULE, 'hex'))));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

type Loop = (n: number) => void;

/** Hook overhead in ns of the given recorder (measured once per process and recorder, ≈50 ms). */
export function hookOverhead(recorder: 'wasm' | 'javascript' = 'wasm'): HookOverhead {
  const known = measured.get(recorder);
  if (known !== undefined) return known;
  const perCall: number[] = [];
  const perChild: number[] = [];
  const clock = (): number => performance.now() * 1e6;
  for (let round = 0; round < ROUNDS; round++) {
    let tree: () => CallTree;
    let hooks: { enter: WebAssembly.ExportValue | ((id: number) => void); exit: WebAssembly.ExportValue | ((id: number) => void) };
    if (recorder === 'wasm') {
      const wasm = new CallTreeRecorder('wall');
      hooks = wasm.linkedHooks(clock);
      tree = () => wasm.build(NAMES, [0, 1, 2], 'instrumented', 'nanoseconds', []);
    } else {
      const builder = new CallTreeBuilder(NAMES, 'instrumented', 'nanoseconds');
      hooks = { enter: (id: number) => builder.enter(id, clock()), exit: (id: number) => builder.exit(id, clock()) };
      tree = () => builder.build();
    }
    const instance = new WebAssembly.Instance(calibrationModule(), {
      [HOOK_IMPORTS.module]: { [HOOK_IMPORTS.enter.name]: hooks.enter, [HOOK_IMPORTS.exit.name]: hooks.exit },
    });
    (instance.exports['withCalls'] as Loop)(CALLS);
    (instance.exports['withoutCalls'] as Loop)(CALLS);
    const root = tree().root;
    const withCalls = root.children.find((c) => c.functionIndex === WITH_CALLS)!;
    const withoutCalls = root.children.find((c) => c.functionIndex === WITHOUT_CALLS)!;
    const leaf = withCalls.children.find((c) => c.functionIndex === LEAF)!;
    perCall.push(leaf.self / leaf.calls);
    perChild.push(Math.max(0, (withCalls.self - withoutCalls.self) / leaf.calls));
  }
  // The first rounds run before V8 has optimised the hooks: keep the later ones.
  const overhead = { perCall: median(perCall.slice(2)), perChildCall: median(perChild.slice(2)) };
  measured.set(recorder, overhead);
  return overhead;
}
