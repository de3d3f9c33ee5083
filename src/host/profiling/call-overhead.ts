/**
 * Measures what one host → guest call of an empty export costs, the way every profile's
 * latencies are measured (the call recorder around the guest call): the yardstick of the
 * analyzer's host-call-overhead rule. Once per process, ≈10 ms (a second on a machine loaded 10×); the calls after V8 has optimised the path count.
 */
import { WasmHost } from '../host.js';

const CALLS = 50_000;
let measured: number | undefined;

/** `(module (func (export "f")))`, as bytes. */
const EMPTY_EXPORT = '0061736d010000000104016000000302010007050101660000' + '0a040102000b';

/** The median latency, ns, of an empty export called through the sandbox's recorded fast path. */
export function callOverheadNs(): number {
  if (measured !== undefined) return measured;
  const bytes = Uint8Array.from(Buffer.from(EMPTY_EXPORT, 'hex'));
  const load = (): ReturnType<WasmHost['loadSync']> => new WasmHost().loadSync(bytes, { label: 'call overhead calibration' });
  // A first module warms the host's call path up; a second one, with recorders of its own, is measured.
  const cold = load().instantiate().fn('f');
  for (let i = 0; i < CALLS; i++) cold();
  const module = load();
  const f = module.instantiate().fn('f');
  for (let i = 0; i < CALLS; i++) f();
  measured = module.profile().exports[0]!.latency.p50;
  return measured;
}
