/**
 * The host: loads modules (path, URL or bytes), validates and compiles them once into a
 * content-addressed module cache, enforces the memory limit structurally, and hands out
 * GuestModules from which sandboxes are made.
 */
import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';
import { InvalidOptionError, WasmInvalidError, WasmMemoryLimitError } from '../errors.js';
import { DEFAULT_TIMING, type TimingPolicy } from '../profiler/call-recorder.js';
import type { TraceLogger } from './assemblyscript.js';
import { GuestModule } from './guest-module.js';
import { inspectParsed, type ModuleInfo } from './inspect.js';
import { ModuleCache, type ModuleCacheOptions, type ModuleCacheStats } from './module-cache.js';
import { readSource, type ModuleSource } from './source.js';
import { BinaryFormatError, capMemoryMaximum, parseModule, type ParsedModule } from './wasm-binary.js';

/** What to do with a module whose declared memory maximum is missing or above the limit. */
export type MemoryPolicy = 'cap' | 'refuse';

export interface LoadOptions {
  /** Most 64 KiB pages any instance's memory may reach. @default the host's (4096 = 256 MiB) */
  readonly memoryLimitPages?: number;
  /** `cap` rewrites the declared maximum down to the limit; `refuse` rejects such a module. @default 'cap' */
  readonly memoryPolicy?: MemoryPolicy;
  /** Name shown in messages and profiles. @default the file name, URL, or `<bytes>` */
  readonly label?: string;
  /** How call latency is timed. @default the host's */
  readonly timing?: Partial<TimingPolicy>;
}

export interface HostOptions extends Omit<LoadOptions, 'label'> {
  readonly cache?: Omit<ModuleCacheOptions, 'clock'>;
  /** Receives AssemblyScript `trace()` output. @default writes `trace: message a, b` to stderr */
  readonly trace?: TraceLogger;
}

/** Modules up to this size compile synchronously (no event-loop hop, no background-compile stalls). */
const SYNC_COMPILE_MAX_BYTES = 1024 * 1024;
const WASM_MAX_PAGES = 65536;

interface Compiled {
  readonly module: WebAssembly.Module;
  readonly parsed: ParsedModule;
  readonly info: ModuleInfo;
  readonly capped: boolean;
}

const defaultTrace: TraceLogger = (message, values) => {
  process.stderr.write(`trace: ${message}${values.length > 0 ? ' ' + values.join(', ') : ''}\n`);
};

function resolveTiming(base: TimingPolicy, override: Partial<TimingPolicy> | undefined, field: string): TimingPolicy {
  const timing = { ...base, ...override };
  if (timing.mode !== 'adaptive' && timing.mode !== 'every') {
    throw new InvalidOptionError(`${field}.mode must be 'adaptive' or 'every', got ${JSON.stringify(timing.mode)}`);
  }
  for (const key of ['thresholdNs', 'sampleInterval', 'warmup'] as const) {
    if (!Number.isInteger(timing[key]) || timing[key] < 1) {
      throw new InvalidOptionError(`${field}.${key} must be a positive integer, got ${String(timing[key])}`);
    }
  }
  return timing;
}

function resolvePages(value: number | undefined, fallback: number, field: string): number {
  const pages = value ?? fallback;
  if (!Number.isInteger(pages) || pages < 0 || pages > WASM_MAX_PAGES) {
    throw new InvalidOptionError(`${field} must be an integer number of 64 KiB pages in [0, ${WASM_MAX_PAGES}], got ${String(pages)}`);
  }
  return pages;
}

function resolvePolicy(value: MemoryPolicy | undefined, fallback: MemoryPolicy, field: string): MemoryPolicy {
  const policy = value ?? fallback;
  if (policy !== 'cap' && policy !== 'refuse') {
    throw new InvalidOptionError(`${field} must be 'cap' or 'refuse', got ${JSON.stringify(policy)}`);
  }
  return policy;
}

export class WasmHost {
  private readonly cache: ModuleCache<Compiled>;
  private readonly memoryLimitPages: number;
  private readonly memoryPolicy: MemoryPolicy;
  private readonly timing: TimingPolicy;
  private readonly trace: TraceLogger;

  constructor(options: HostOptions = {}) {
    const maxEntries = options.cache?.maxEntries ?? 64;
    const maxBytes = options.cache?.maxBytes ?? 256 * 1024 * 1024;
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new InvalidOptionError(`options.cache.maxEntries must be a non-negative integer, got ${String(maxEntries)}`);
    }
    if (!Number.isFinite(maxBytes) || maxBytes < 0) {
      throw new InvalidOptionError(`options.cache.maxBytes must be a non-negative number, got ${String(maxBytes)}`);
    }
    this.cache = new ModuleCache({ maxEntries, maxBytes });
    this.memoryLimitPages = resolvePages(options.memoryLimitPages, 4096, 'options.memoryLimitPages');
    this.memoryPolicy = resolvePolicy(options.memoryPolicy, 'cap', 'options.memoryPolicy');
    this.timing = resolveTiming(DEFAULT_TIMING, options.timing, 'options.timing');
    this.trace = options.trace ?? defaultTrace;
  }

  /** Reads, hashes, validates and compiles (or finds in the cache) a module. */
  async load(source: ModuleSource, options: LoadOptions = {}): Promise<GuestModule> {
    const limit = resolvePages(options.memoryLimitPages, this.memoryLimitPages, 'options.memoryLimitPages');
    const policy = resolvePolicy(options.memoryPolicy, this.memoryPolicy, 'options.memoryPolicy');
    const timing = options.timing === undefined ? this.timing : resolveTiming(this.timing, options.timing, 'options.timing');

    const readStart = performance.now();
    // Bytes in hand need no read: keep the cache-hit path free of awaits.
    const { bytes, label: sourceLabel } = source instanceof Uint8Array ? { bytes: source, label: '<bytes>' } : await readSource(source);
    const hashStart = performance.now();
    const id = sha256Hex(bytes);
    const hashEnd = performance.now();
    const label = options.label ?? sourceLabel;

    const key = `${id}:${limit}:${policy}`;
    const found = this.cache.lookup(key);
    const result = found !== undefined
      ? { value: found, outcome: 'hit' as const, compileMs: 0 }
      : await this.cache.getOrCompile(key, () => this.compile(bytes, label, limit, policy));
    const compiled = result.value;
    return new GuestModule({
      id,
      label,
      sizeBytes: bytes.length,
      compiled: compiled.module,
      parsed: compiled.parsed,
      info: compiled.info,
      capped: compiled.capped,
      memoryLimitPages: limit,
      timing,
      trace: this.trace,
      coldStart: { readMs: hashStart - readStart, hashMs: hashEnd - hashStart, cache: result.outcome, compileMs: result.compileMs },
      cacheStats: () => this.cache.stats(),
    });
  }

  cacheStats(): ModuleCacheStats {
    return this.cache.stats();
  }

  clearCache(): void {
    this.cache.clear();
  }

  private async compile(bytes: Uint8Array, label: string, limit: number, policy: MemoryPolicy) {
    let parsed: ParsedModule;
    try {
      parsed = parseModule(bytes);
    } catch (error) {
      if (!(error instanceof BinaryFormatError)) throw error;
      // Let V8 give the authoritative reason; if V8 accepts what our reader cannot follow,
      // refuse anyway: the memory limit could not be enforced on it.
      await compileWithV8(bytes, label);
      throw new WasmInvalidError(
        `${label} uses binary features the sandbox cannot inspect (${error.message}); it cannot be loaded under a memory limit`,
        error.message,
        error.offset,
      );
    }
    const memory = parsed.memorySites[0]?.limits;
    if (memory !== undefined) {
      if (memory.min > limit) {
        throw new WasmMemoryLimitError(
          `${label} needs ${memory.min} pages of memory at start, over the limit of ${limit} pages; raise memoryLimitPages to at least ${memory.min}`,
          limit,
          memory.min,
        );
      }
      if (policy === 'refuse' && (memory.max === undefined || memory.max > limit)) {
        throw new WasmMemoryLimitError(
          `${label} declares ${memory.max === undefined ? 'no memory maximum' : `a memory maximum of ${memory.max} pages`}, over the limit of ${limit} pages; ` +
            `rebuild it with a maximum <= ${limit} (asc --maximumMemory) or load it with memoryPolicy 'cap'`,
          limit,
          memory.max,
        );
      }
    }
    const finalBytes = capMemoryMaximum(bytes, parsed, limit);
    const module = await compileWithV8(finalBytes, label);
    return { value: { module, parsed, info: inspectParsed(parsed), capped: finalBytes !== bytes }, size: finalBytes.length };
  }
}

// crypto.hash (Node >= 20.12) is one call; older 20.x builds fall back to createHash.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;
function sha256Hex(bytes: Uint8Array): string {
  return oneShotHash ? oneShotHash('sha256', bytes, 'hex') : createHash('sha256').update(bytes).digest('hex');
}

async function compileWithV8(bytes: Uint8Array, label: string): Promise<WebAssembly.Module> {
  try {
    const source = bytes as Uint8Array<ArrayBuffer>; // V8 also accepts views of shared memory
    return bytes.length <= SYNC_COMPILE_MAX_BYTES ? new WebAssembly.Module(source) : await WebAssembly.compile(source);
  } catch (error) {
    if (!(error instanceof WebAssembly.CompileError)) throw error;
    const reason = error.message.replace(/^WebAssembly\.(Module|compile)\(\): /, '');
    const offsetMatch = / @\+(\d+)$/.exec(reason);
    const offset = offsetMatch ? Number(offsetMatch[1]) : undefined;
    const plain = reason.replace(/ @\+\d+$/, '');
    throw new WasmInvalidError(
      `${label} is not a valid WebAssembly module: ${plain}${offset === undefined ? '' : ` (at byte ${offset})`}; ` +
        'check that it is a compiled .wasm binary, complete and uncorrupted',
      plain,
      offset,
      { cause: error },
    );
  }
}
