/**
 * `profile … --setup "init 512"`: one export called with its arguments before the profiled calls,
 * in the same sandbox, for guests whose work needs state first (matrix.wasm's `init`). Its work
 * is recorded like the rest: profiles count every call of the sandbox.
 */
import { WasmArgumentError, parseArgument, type GuestModule, type Sandbox } from '../index.js';

export interface SetupCall {
  readonly exportName: string;
  readonly values: readonly unknown[];
}

/** Parses `export arg1 arg2 …` (space-separated) against the export's parameter types. */
export function parseSetup(module: GuestModule, text: string | undefined): SetupCall | undefined {
  if (text === undefined) return undefined;
  const [exportName, ...args] = text.trim().split(/\s+/);
  const entry = module.inspect().exports.find((e) => e.name === exportName && e.kind === 'function');
  if (exportName === undefined || exportName === '' || entry === undefined) throw new WasmArgumentError(`--setup: ${JSON.stringify(exportName ?? '')} is not an exported function`);
  const params = entry.signature?.params ?? [];
  if (entry.signature !== undefined && args.length !== params.length) {
    throw new WasmArgumentError(`--setup: ${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
  }
  return { exportName, values: entry.signature === undefined ? args : args.map((a, i) => parseArgument(params[i]!, a)) };
}

export function runSetup(sandbox: Sandbox, setup: SetupCall | undefined): void {
  if (setup !== undefined) sandbox.call(setup.exportName, ...setup.values);
}
