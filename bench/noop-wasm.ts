/**
 * Wasm modules that record nothing, linked where a recorder would be: the floor any recorder
 * linked as hook imports stands on (the guest's instrumentation plus one wasm-to-wasm call per
 * event), measured in the same run as the recorder itself.
 */
import binaryen from 'binaryen';

/** The exports of a module written in the text format. */
export function wasmExportsOf(text: string): WebAssembly.Exports {
  const module = binaryen.parseText(text);
  const bytes = module.emitBinary();
  module.dispose();
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).exports;
}
