/**
 * The rewriter runs on binaryen.js, a 15 MB wasm build that takes ≈0.5 s to load. It is loaded
 * the first time a module needs rewriting, never at import: a host that runs plain modules, or
 * rewritten ones from the disk cache, never pays for it (nor does every pool worker).
 */
type Engine = typeof import('./instrument.js');

let engine: Engine | undefined;
let loading: Promise<Engine> | undefined;

/** Loads the rewriter (once per thread); later calls return the same promise. */
export function importInstrumentEngine(): Promise<Engine> {
  loading ??= import('./instrument.js').then((loaded) => (engine = loaded));
  return loading;
}

/**
 * Loads the instrumentation engine now, so that `loadSync` can rewrite modules (`load` loads it
 * by itself when it first needs it).
 */
export async function loadInstrumentEngine(): Promise<void> {
  await importInstrumentEngine();
}

/** The rewriter if this thread has loaded it, for synchronous paths. */
export function loadedInstrumentEngine(): Engine | undefined {
  return engine;
}
