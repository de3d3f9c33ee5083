/**
 * The recorders shipped with the library (`assembly/recorders/*.ts` built to
 * `build/recorders/*.wasm`): located beside the package, read and compiled once per process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** build/recorders/ of this package, from src/host/profiling/ (tests) or dist/src/host/profiling/ (installed). */
export function bundledRecorderDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes(join('dist', 'src')) ? ['..', '..', '..', '..'] : ['..', '..', '..'];
  return join(here, ...up, 'build', 'recorders');
}

const compiled = new Map<string, WebAssembly.Module>();

/** The compiled recorder `name` (e.g. `cache`); throws when the package was built without it. */
export function recorderModule(name: string): WebAssembly.Module {
  let module = compiled.get(name);
  if (module === undefined) {
    module = new WebAssembly.Module(readFileSync(join(bundledRecorderDir(), `${name}.wasm`)));
    compiled.set(name, module);
  }
  return module;
}
