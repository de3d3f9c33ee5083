/** `wasm-sandbox scale <file> <export> --sizes a,b,c [--arg-template …]`: measure, fit, print. */
import { WasmArgumentError, type WasmHost } from '../index.js';
import { buildScalingReport } from '../profiler/analyze/scaling.js';
import type { ScalingReport } from '../profiler/model/scaling-report.js';
import { formatScaling } from '../profiler/render/format-scaling.js';
import { measureScaling } from '../host/profiling/scaling-runner.js';

export async function scaleCommand(
  host: WasmHost,
  file: string,
  exportName: string,
  options: { sizes: string | undefined; argTemplate: string | undefined; json: boolean },
  out: (text: string) => void,
): Promise<ScalingReport> {
  if (options.sizes === undefined) throw new WasmArgumentError('scale needs --sizes, e.g. --sizes 1000,10000,100000');
  const sizes = options.sizes.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  const argTemplate = options.argTemplate === undefined ? undefined : options.argTemplate.split(',').map((s) => s.trim());
  const { label, samples } = await measureScaling(host, file, exportName, { sizes, ...(argTemplate === undefined ? {} : { argTemplate }) });
  const report = buildScalingReport(label, exportName, samples);
  out(options.json ? JSON.stringify(report, null, 2) : formatScaling(report));
  return report;
}
