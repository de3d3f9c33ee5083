/**
 * Measures what one host → guest call of an empty export costs, the way every profile's
 * latencies are measured (the call recorder around the guest call): the yardstick of the
 * analyzer's host-call-overhead rule. Once per process, ≈20 ms (a second on a machine loaded 10×); the calls after V8 has optimised the path count.
 */
import { WasmHost } from '../host.js';

const CALLS = 50_000;
const ROUNDS = 3;
let measured: number | undefined;

/** `(module (func (export "f")))`, as bytes. */
const EMPTY_EXPORT = '0061736d010000000104016000000302010007050101660000' + '0a040102000b';

/** The median latency, ns, of an empty export called through the sandbox's recorded fast path. */
export function callOverheadNs(): number {
  if (measured !== undefined) return measured;
  const bytes = Uint8Array.from(Buffer.from(EMPTY_EXPORT, 'hex'));
  const load = (): ReturnType<WasmHost['loadSync']> => new WasmHost().loadSync(bytes, { label: 'call overhead calibration' });
  // A first module warms the host's call path up; then fresh modules, each with recorders of
  // its own, are measured and the lowest median kept: the first ones still ran partly in V8's
  // lower tiers (measured here 130–160 ns against 80–100 ns after), and noise only adds time. A
  // yardstick above the calls it is compared with made the analyzer say an empty call cost
  // more than a real one.
  const cold = load().instantiate().fn('f');
  for (let i = 0; i < CALLS; i++) cold();
  let lowest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const module = load();
    const f = module.instantiate().fn('f');
    for (let i = 0; i < CALLS; i++) f();
    lowest = Math.min(lowest, module.profile().exports[0]!.latency.p50);
  }
  measured = lowest;
  return measured;
}
