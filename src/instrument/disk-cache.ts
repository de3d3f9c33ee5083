/**
 * Rewritten modules on disk, keyed by SHA-256 of (original bytes, pass options, binaryen
 * version, engine version, the engine's own code): a second process loading the same module
 * with the same passes skips binaryen entirely. Node 20 cannot serialise compiled wasm, so the
 * disk holds bytes; the in-memory module cache holds the compiled Module. Writes are atomic (temp + rename);
 * unreadable entries are ignored and rewritten.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstrumentResult } from './instrument.js';
import type { NormalizedInstrumentOptions } from './options.js';

/** Bump when a pass changes what it emits for the same input. */
const ENGINE_VERSION = 13; // 13: a function's entry-run instructions are a constant, not a per-call add

const binaryenVersion = (createRequire(import.meta.url)('binaryen/package.json') as { version: string }).version;

export function defaultInstrumentCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(base, 'wasm-sandbox', 'instrumented');
}

export function instrumentCacheKey(contentHash: string, options: NormalizedInstrumentOptions): string {
  const settings = JSON.stringify({ options, binaryen: binaryenVersion, engine: ENGINE_VERSION, code: engineCode() });
  return createHash('sha256').update(contentHash).update('\0').update(settings).digest('hex');
}

let engineCodeHash: string | undefined;

/**
 * A hash of the rewriter's own code (this folder's modules and the binary reader and name-section
 * repair in ../wasm), read once per thread: a pass changed without ENGINE_VERSION bumped — or a
 * build between releases — must not be served the rewrites an older engine made (their host
 * imports may no longer match: a link error naming an import of the host's own). Empty parts
 * when a folder cannot be read (the version alone then keys).
 */
function engineCode(): string {
  if (engineCodeHash !== undefined) return engineCodeHash;
  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  return (engineCodeHash = `${codeHash(here, extname(self))}.${codeHash(join(here, '..', 'wasm'), extname(self))}`);
}

/** @internal SHA-256 (hex, 16 digits) of every `extension` file in `dir`, by name, in name order; '' if unreadable. */
export function codeHash(dir: string, extension: string): string {
  try {
    const hash = createHash('sha256');
    for (const name of readdirSync(dir).filter((n) => n.endsWith(extension)).sort()) {
      hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
    }
    return hash.digest('hex').slice(0, 16);
  } catch {
    return '';
  }
}

interface Manifest {
  readonly functions: readonly string[];
  readonly options: NormalizedInstrumentOptions;
  readonly budget: boolean;
  readonly profiledFunctions: readonly string[];
  readonly allocators: readonly string[];
  readonly size: number;
  readonly sha256: string;
}

export class InstrumentDiskCache {
  hits = 0;
  misses = 0;
  writeErrors = 0;

  constructor(readonly dir: string) {}

  /** Whether an entry is on disk (not checked until read). */
  has(key: string): boolean {
    return existsSync(join(this.dir, `${key}.json`)) && existsSync(join(this.dir, `${key}.wasm`));
  }

  get(key: string): InstrumentResult | undefined {
    try {
      const manifest = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as Manifest;
      const bytes = new Uint8Array(readFileSync(join(this.dir, `${key}.wasm`)));
      if (bytes.length !== manifest.size || createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) {
        this.misses++;
        return undefined;
      }
      this.hits++;
      return {
        bytes,
        functions: manifest.functions,
        options: manifest.options,
        budget: manifest.budget,
        profiledFunctions: manifest.profiledFunctions,
        allocators: manifest.allocators,
        timings: { readMs: 0, passesMs: 0, validateMs: 0, emitMs: 0 },
      };
    } catch {
      this.misses++;
      return undefined;
    }
  }

  set(key: string, result: InstrumentResult): void {
    const manifest: Manifest = {
      functions: result.functions,
      options: result.options,
      budget: result.budget,
      profiledFunctions: result.profiledFunctions,
      allocators: result.allocators,
      size: result.bytes.length,
      sha256: createHash('sha256').update(result.bytes).digest('hex'),
    };
    try {
      mkdirSync(this.dir, { recursive: true });
      const suffix = `${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(join(this.dir, `${key}.wasm.${suffix}`), result.bytes);
      renameSync(join(this.dir, `${key}.wasm.${suffix}`), join(this.dir, `${key}.wasm`));
      writeFileSync(join(this.dir, `${key}.json.${suffix}`), JSON.stringify(manifest));
      renameSync(join(this.dir, `${key}.json.${suffix}`), join(this.dir, `${key}.json`));
    } catch {
      // A read-only or full disk costs the next process a rewrite, nothing more.
      this.writeErrors++;
    }
  }
}
