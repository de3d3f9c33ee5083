/**
 * The host: loads modules (path, URL or bytes), validates and compiles them once into a
 * content-addressed module cache, enforces the memory limit structurally, and hands out
 * GuestModules from which sandboxes are made.
 */
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';
import { InvalidOptionError, WasmImportError, WasmInstrumentationError, WasmInvalidError, WasmMemoryLimitError, WasmTableLimitError } from '../errors.js';
import { RESERVED_PREFIX } from '../instrument/abi.js';
import { guestText } from '../untrusted-text.js';
import { LoadedModules } from './loaded-modules.js';
import type { MetricsSnapshot } from '../profiler/model/metrics-snapshot.js';
import { DEFAULT_TIMING, type TimingPolicy } from '../profiler/build/call-recorder.js';
import type { TraceLogger } from './assemblyscript.js';
import { GuestModule } from './guest-module.js';
import { inspectParsed, type ModuleInfo } from './inspect.js';
import { ModuleCache, type CacheResult, type ModuleCacheOptions, type ModuleCacheStats } from './module-cache.js';
import { InstrumentDiskCache, defaultInstrumentCacheDir, instrumentCacheKey } from '../instrument/disk-cache.js';
import { importInstrumentEngine, loadedInstrumentEngine } from '../instrument/engine.js';
import type { InstrumentResult } from '../instrument/instrument.js';
import { normalizeInstrumentOptions, wantsInstrumentation, type InstrumentOptions, type NormalizedInstrumentOptions } from '../instrument/options.js';
import { readSource, type ModuleSource } from './source.js';
import { BinaryFormatError, capLimits, invalidLimits, parseModule, WASM_MAX_PAGES, type ParsedModule } from '../wasm/wasm-binary.js';

/** What to do with a module whose declared memory maximum is missing or above the limit. */
export type MemoryPolicy = 'cap' | 'refuse';

export interface LoadOptions {
  /** Most 64 KiB pages any instance's memory may reach. @default the host's (4096 = 256 MiB) */
  readonly memoryLimitPages?: number;
  /**
   * Most entries any table of an instance may reach (V8's own limit is 10,000,000). Declared
   * maxima are capped to it like memory's; `table.grow` past it returns -1.
   * @default the host's (1,000,000)
   */
  readonly tableLimitEntries?: number;
  /** `cap` rewrites the declared maximum down to the limit; `refuse` rejects such a module. @default 'cap' */
  readonly memoryPolicy?: MemoryPolicy;
  /** Name shown in messages and profiles. @default the file name, URL, or `<bytes>` */
  readonly label?: string;
  /** How call latency is timed. @default the host's */
  readonly timing?: Partial<TimingPolicy>;
  /**
   * Rewrite the guest with binaryen: `fuel` and `deadline` add the check points that sandbox
   * options `fuel` and `timeoutMs` need (docs/limits.md). @default no rewriting
   */
  readonly instrument?: InstrumentOptions;
}

export interface HostOptions extends Omit<LoadOptions, 'label' | 'instrument'> {
  readonly cache?: Omit<ModuleCacheOptions, 'clock'>;
  /** Where rewritten modules are kept between processes; `false` keeps none. @default ~/.cache/wasm-sandbox/instrumented */
  readonly instrumentCacheDir?: string | false;
  /** Receives AssemblyScript `trace()` output. @default writes `trace: message a, b` to stderr */
  readonly trace?: TraceLogger;
  /**
   * Keep every loaded module's call metrics for `metrics()` (fleet metrics), from the first
   * load. Off, a host starts keeping them when its metrics are first asked for (a registry or
   * `metrics()`): tracking a load costs a few microseconds, which the cached serving path of a
   * host nobody scrapes should not pay. @default false
   */
  readonly metrics?: boolean;
}

/** `load` compiles modules up to this size synchronously (no event-loop hop, no background-compile stalls). */
const SYNC_COMPILE_MAX_BYTES = 1024 * 1024;
const NO_OPTIONS: LoadOptions = Object.freeze({});

/** Byte arrays up to this size have their hash remembered (with a copy to check it against). */
const REMEMBERED_HASH_MAX_BYTES = 256 * 1024;

/** V8's implementation limit on table entries. */
const V8_MAX_TABLE_ENTRIES = 10_000_000;
const DEFAULT_TABLE_LIMIT = 1_000_000;

interface Compiled {
  readonly module: WebAssembly.Module;
  readonly parsed: ParsedModule;
  readonly info: ModuleInfo;
  readonly capped: boolean;
  readonly instrumentation: Instrumentation | undefined;
  /** Set when deadlines were asked for but the module could not be rewritten: why. */
  readonly vmDeadlineReason: string | undefined;
  /** Set when the rewrite was refused and `instrument.fallback: 'plain'` loaded the module as it is. */
  readonly instrumentationRefused: WasmInstrumentationError | undefined;
}

/** What a GuestModule needs to know about a rewritten module. */
export interface Instrumentation {
  readonly options: NormalizedInstrumentOptions;
  readonly budget: boolean;
  /** Function names by index in the rewritten module. */
  readonly functions: readonly string[];
  /** Function names by profile id: the ids that counters and entry/exit hooks report. */
  readonly profiledFunctions: readonly string[];
  /** Allocator functions whose direct calls report to the allocation hook. */
  readonly allocators: readonly string[];
  /** Milliseconds spent rewriting (0 when the disk cache served it). */
  readonly rewriteMs: number;
  readonly fromDiskCache: boolean;
}

/** The bytes to compile and what the host learnt preparing them. */
interface Prepared {
  readonly bytes: Uint8Array;
  /** The module as given: what inspection describes. */
  readonly original: ParsedModule;
  /** The module as compiled (rewritten when instrumented): what linking and stack traces see. */
  readonly parsed: ParsedModule;
  readonly capped: boolean;
  readonly instrumentation: Instrumentation | undefined;
  readonly vmDeadlineReason: string | undefined;
  readonly instrumentationRefused: WasmInstrumentationError | undefined;
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

function resolveEntries(value: number | undefined, fallback: number, field: string): number {
  const entries = value ?? fallback;
  if (!Number.isInteger(entries) || entries < 0 || entries > V8_MAX_TABLE_ENTRIES) {
    throw new InvalidOptionError(`${field} must be an integer number of table entries in [0, ${V8_MAX_TABLE_ENTRIES}], got ${String(entries)}`);
  }
  return entries;
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
  private readonly tableLimitEntries: number;
  private readonly timing: TimingPolicy;
  private readonly trace: TraceLogger;
  private readonly diskCache: InstrumentDiskCache | undefined;
  private readonly hashes = new WeakMap<object, { readonly copy: Uint8Array; readonly id: string }>();

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
    this.tableLimitEntries = resolveEntries(options.tableLimitEntries, DEFAULT_TABLE_LIMIT, 'options.tableLimitEntries');
    this.timing = resolveTiming(DEFAULT_TIMING, options.timing, 'options.timing');
    this.trace = options.trace ?? defaultTrace;
    if (options.metrics === true) this.watchMetrics();
    const dir = options.instrumentCacheDir ?? defaultInstrumentCacheDir();
    this.diskCache = dir === false ? undefined : new InstrumentDiskCache(dir);
  }

  /** Reads, hashes, validates, rewrites if asked, and compiles (or finds in the cache) a module. */
  async load(source: ModuleSource, options: LoadOptions = NO_OPTIONS): Promise<GuestModule> {
    const settings = this.settingsFor(options);
    // Bytes in memory are taken as they are, with no promise to wait for (the cached serving path).
    let bytes: Uint8Array, label: string, readMs = 0;
    if (source instanceof Uint8Array) [bytes, label] = [source, '<bytes>'];
    else {
      const readStart = performance.now();
      ({ bytes, label } = await readSource(source));
      readMs = performance.now() - readStart;
    }
    const id = this.contentId(bytes);
    const hashMs = this.hashMs;
    const shown = options.label ?? label;
    const key = this.keyFor(id, settings);
    // The rewriter loads on first need: not for plain modules, cache hits or disk-cached rewrites.
    if (this.needsEngine(key, id, settings)) await importInstrumentEngine();
    // Large plain modules compile off the thread. Rewritten ones compile synchronously: the
    // first async compile after binaryen.js ran was seen to stall behind V8 background work.
    const result =
      bytes.length > SYNC_COMPILE_MAX_BYTES && !wantsInstrumentation(settings.instrument)
        ? await this.cache.getOrCompile(key, async () => {
            const prepared = this.prepare(bytes, id, shown, settings);
            return entry(prepared, await compileAsync(prepared.bytes, shown));
          })
        : this.cache.getOrCompileSync(key, () => {
            const prepared = this.prepare(bytes, id, shown, settings);
            return entry(prepared, compileSync(prepared.bytes, shown));
          });
    return this.guestModule(id, shown, bytes.length, settings, result, readMs, hashMs);
  }

  /**
   * `load` for bytes already in memory, without a promise: the same checks and cache; a miss
   * compiles synchronously whatever the size (it blocks the thread for large modules).
   */
  loadSync(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = NO_OPTIONS): GuestModule {
    const settings = this.settingsFor(options);
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const id = this.contentId(view);
    const hashMs = this.hashMs;
    const label = options.label ?? '<bytes>';
    const result = this.cache.getOrCompileSync(this.keyFor(id, settings), () => {
      const prepared = this.prepare(view, id, label, settings);
      return entry(prepared, compileSync(prepared.bytes, label));
    });
    return this.guestModule(id, label, view.length, settings, result, 0, hashMs);
  }

  /** The last cache key made: the same module loaded again with the same settings (the serving path) reuses the string, and its hash. */
  private lastKey: { readonly id: string; readonly settings: LoadSettings; readonly key: string } | undefined;

  private keyFor(id: string, settings: LoadSettings): string {
    const last = this.lastKey;
    if (last !== undefined && last.id === id && last.settings === settings) return last.key;
    const key = cacheKey(id, settings);
    this.lastKey = { id, settings, key };
    return key;
  }

  private needsEngine(key: string, id: string, settings: LoadSettings): boolean {
    if (!wantsInstrumentation(settings.instrument) || loadedInstrumentEngine() !== undefined || this.cache.has(key)) return false;
    return this.diskCache?.has(instrumentCacheKey(id, settings.instrument)) !== true;
  }

  /**
   * SHA-256 of `bytes`, remembered per byte array for small modules: a load of the same array
   * again compares its bytes with a copy (a memcmp, ≈20× cheaper than hashing) instead of
   * hashing them again. A changed array is hashed anew, so what is compiled is always what the
   * array holds now.
   */
  private contentId(bytes: Uint8Array): string {
    this.hashMs = 0;
    const remembered = bytes.byteLength <= REMEMBERED_HASH_MAX_BYTES;
    // A whole buffer is remembered by the buffer, so a new view of it (`loadSync(arrayBuffer)`) matches.
    const holder: object = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes;
    if (remembered) {
      const known = this.hashes.get(holder);
      if (known !== undefined && known.copy.byteLength === bytes.byteLength && Buffer.compare(known.copy, bytes) === 0) return known.id;
    }
    const start = performance.now();
    const id = sha256Hex(bytes);
    this.hashMs = performance.now() - start;
    if (remembered) this.hashes.set(holder, { copy: Uint8Array.from(bytes), id });
    return id;
  }

  /** Milliseconds the last `contentId` spent hashing (0 when it recognised the bytes without hashing). */
  private hashMs = 0;

  /** One function for every module's profile to read the cache's counters with (not a closure per load). */
  private readonly cacheStatsOf = (): ModuleCacheStats => this.cache.stats();

  /** Modules loaded by this host, for `metrics()`: kept once metrics are on (`options.metrics`, or asked for). */
  private loaded: LoadedModules | undefined;

  /** From now on, every load is kept for `metrics()` (what `prometheusRegistry` and `registerOpenTelemetry` call). */
  watchMetrics(): void {
    this.loaded ??= new LoadedModules(() => this.cache.stats());
  }

  /**
   * Cumulative call metrics of every module this host loaded, merged by module id, with the
   * module cache's counters: what the Prometheus and OpenTelemetry exporters read at each scrape.
   */
  metrics(): MetricsSnapshot {
    this.watchMetrics();
    return { kind: 'host', modules: this.loaded!.profiles(), cache: this.cache.stats() };
  }

  cacheStats(): ModuleCacheStats {
    return this.cache.stats();
  }

  /** Hits and misses of the on-disk cache of rewritten modules (undefined when disabled). */
  instrumentCacheStats(): { readonly dir: string; readonly hits: number; readonly misses: number; readonly writeErrors: number } | undefined {
    const disk = this.diskCache;
    return disk === undefined ? undefined : { dir: disk.dir, hits: disk.hits, misses: disk.misses, writeErrors: disk.writeErrors };
  }

  clearCache(): void {
    this.cache.clear();
  }

  /** The settings of a load without options, resolved once (the common case on a serving path). */
  private defaultSettings: LoadSettings | undefined;

  private settingsFor(options: LoadOptions): LoadSettings {
    if (options === NO_OPTIONS || Object.keys(options).length === 0) return (this.defaultSettings ??= this.resolveSettings({}));
    return this.resolveSettings(options);
  }

  private resolveSettings(options: LoadOptions): LoadSettings {
    const settings = {
      limit: resolvePages(options.memoryLimitPages, this.memoryLimitPages, 'options.memoryLimitPages'),
      policy: resolvePolicy(options.memoryPolicy, this.memoryPolicy, 'options.memoryPolicy'),
      tableLimit: resolveEntries(options.tableLimitEntries, this.tableLimitEntries, 'options.tableLimitEntries'),
      timing: options.timing === undefined ? this.timing : resolveTiming(this.timing, options.timing, 'options.timing'),
      instrument: normalizeInstrumentOptions(options.instrument ?? {}),
      fallback: resolveFallback(options.instrument?.fallback),
    };
    const instrument = wantsInstrumentation(settings.instrument) ? `${JSON.stringify(settings.instrument)}:${settings.fallback}` : '';
    return { ...settings, keySuffix: `:${settings.limit}:${settings.tableLimit}:${settings.policy}:${instrument}` };
  }

  private guestModule(
    id: string,
    label: string,
    sizeBytes: number,
    settings: LoadSettings,
    result: CacheResult<Compiled>,
    readMs: number,
    hashMs: number,
  ): GuestModule {
    const compiled = result.value;
    const tracked = this.loaded?.tally(id, label, sizeBytes);
    const module = new GuestModule({
      ...(tracked === undefined ? {} : { recorderMade: tracked.recorderMade }),
      id,
      label,
      sizeBytes,
      compiled: compiled.module,
      parsed: compiled.parsed,
      info: compiled.info,
      capped: compiled.capped,
      instrumentation: compiled.instrumentation,
      vmDeadlineReason: compiled.vmDeadlineReason,
      instrumentationRefused: compiled.instrumentationRefused,
      memoryLimitPages: settings.limit,
      tableLimitEntries: settings.tableLimit,
      timing: settings.timing,
      trace: this.trace,
      coldStart: { readMs, hashMs, cache: result.outcome, compileMs: result.compileMs },
      cacheStats: this.cacheStatsOf,
    });
    if (tracked !== undefined) this.loaded!.track(module, tracked.tally);
    return module;
  }

  /** Parses, enforces the memory policy, rewrites when asked (through the disk cache), caps. */
  private prepare(bytes: Uint8Array, id: string, label: string, settings: LoadSettings): Prepared {
    const parsed = parseChecked(bytes, label, settings);
    let instrumentation: Instrumentation | undefined;
    let rewritten = bytes;
    let rewrittenParsed = parsed;
    if (wantsInstrumentation(settings.instrument)) {
      // V8 judges the module as given, before binaryen reads it: a rewrite must neither refuse
      // a module V8 runs for a reason V8 would not give, nor make an invalid one valid.
      if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) compileSync(bytes, label);
      refuseReservedNames(parsed, label);
      const key = instrumentCacheKey(id, settings.instrument);
      const cached = this.diskCache?.get(key);
      const started = performance.now();
      let result;
      try {
        result = cached ?? rewrite(bytes, parsed, label, settings.instrument);
      } catch (error) {
        // Rewriting is impossible for this module. Deadlines alone can still be had, through
        // V8 termination (the vm route); fuel, counters and hooks cannot, but the caller may
        // take the module as it is.
        if (!(error instanceof WasmInstrumentationError)) throw error;
        const vm = deadlineOnly(settings.instrument);
        if (!vm && settings.fallback !== 'plain') throw error;
        const capped = capLimits(bytes, parsed, settings.limit, settings.tableLimit);
        return {
          bytes: capped, original: parsed, parsed, capped: capped !== bytes, instrumentation: undefined,
          vmDeadlineReason: vm ? error.message : undefined, instrumentationRefused: vm ? undefined : error,
        };
      }
      if (cached === undefined) this.diskCache?.set(key, result);
      rewritten = result.bytes;
      rewrittenParsed = parseModule(rewritten);
      instrumentation = {
        options: result.options,
        budget: result.budget,
        functions: result.functions,
        profiledFunctions: result.profiledFunctions,
        allocators: result.allocators,
        rewriteMs: cached === undefined ? performance.now() - started : 0,
        fromDiskCache: cached !== undefined,
      };
    }
    const capped = capLimits(rewritten, rewrittenParsed, settings.limit, settings.tableLimit);
    return { bytes: capped, original: parsed, parsed: rewrittenParsed, capped: capped !== rewritten, instrumentation, vmDeadlineReason: undefined, instrumentationRefused: undefined };
  }
}

/** Runs the rewriter, which `load` has loaded by now; `loadSync` cannot wait for it. */
function rewrite(bytes: Uint8Array, parsed: ParsedModule, label: string, options: NormalizedInstrumentOptions): InstrumentResult {
  const engine = loadedInstrumentEngine();
  if (engine === undefined) {
    throw new InvalidOptionError(
      `${label}: loadSync cannot rewrite a module before the instrumentation engine is loaded; ` +
        'use await host.load(bytes, options), or await loadInstrumentEngine() (from the package) once before loadSync',
    );
  }
  const exported = parsed.exports.find((e) => e.name.startsWith(RESERVED_PREFIX));
  if (exported !== undefined) {
    throw new WasmInstrumentationError(
      `${label}: cannot be instrumented: it exports ${JSON.stringify(guestText(exported.name))}, a name the host reserves for its own exports`,
      'exports a reserved name',
    );
  }
  return engine.instrument(bytes, parsed, label, options);
}

/**
 * The rewritten module talks to the host through imports and exports named under
 * RESERVED_PREFIX. A guest that declares such names itself would link its own code to the
 * host's budget import (and refill its fuel at will) or collide with the host's exports.
 */
function refuseReservedNames(parsed: ParsedModule, label: string): void {
  const imported = parsed.imports.find((i) => i.module.startsWith(RESERVED_PREFIX));
  if (imported !== undefined) {
    throw new WasmImportError(
      `${label} imports ${guestText(imported.module)}.${guestText(imported.name)}, under the name space the host reserves for itself (${RESERVED_PREFIX}); such a module cannot be instrumented`,
      imported.module,
      imported.name,
      imported.kind,
    );
  }
}

function resolveFallback(value: unknown): 'error' | 'plain' {
  if (value === undefined || value === 'error' || value === 'plain') return value ?? 'error';
  throw new InvalidOptionError(`options.instrument.fallback must be 'error' or 'plain', got ${JSON.stringify(value)}`);
}

function deadlineOnly(options: NormalizedInstrumentOptions): boolean {
  return options.deadline && !options.fuel && !options.counters && !options.hooks && !options.memory && options.allocator === false;
}

function cacheKey(id: string, settings: LoadSettings): string {
  return id + settings.keySuffix;
}

function entry(prepared: Prepared, module: WebAssembly.Module): { value: Compiled; size: number } {
  return {
    value: {
      module,
      parsed: prepared.parsed,
      // What the caller gave, not what the host made of it.
      info: inspectParsed(prepared.original),
      capped: prepared.capped,
      instrumentation: prepared.instrumentation,
      vmDeadlineReason: prepared.vmDeadlineReason,
      instrumentationRefused: prepared.instrumentationRefused,
    },
    size: prepared.bytes.length,
  }
}

interface LoadSettings {
  /** What the cache key adds to the content hash: every setting that changes the compiled module. */
  readonly keySuffix: string;
  readonly fallback: 'error' | 'plain';
  readonly tableLimit: number;
  readonly limit: number;
  readonly policy: MemoryPolicy;
  readonly timing: TimingPolicy;
  readonly instrument: NormalizedInstrumentOptions;
}

/** Parses the module and enforces the memory and table limits on what it declares. */
function parseChecked(bytes: Uint8Array, label: string, { limit, policy, tableLimit }: LoadSettings): ParsedModule {
  let parsed: ParsedModule;
  try {
    parsed = parseModule(bytes);
  } catch (error) {
    if (!(error instanceof BinaryFormatError)) throw error;
    // Let V8 give the authoritative reason; if V8 accepts what our reader cannot follow,
    // refuse anyway: the memory limit could not be enforced on it.
    compileSync(bytes, label);
    throw new WasmInvalidError(
      `${label} uses binary features the sandbox cannot inspect (${error.message}); it cannot be loaded under a memory limit`,
      error.message,
      error.offset,
    );
  }
  // Capping maxima must not make an invalid module valid: let V8 say what is wrong with it.
  const invalid = invalidLimits(parsed);
  if (invalid !== undefined) {
    compileSync(bytes, label);
    throw new WasmInvalidError(`${label} is not a valid WebAssembly module: ${invalid}`, invalid, undefined);
  }
  for (const site of parsed.tableSites) {
    if (site.limits.min > tableLimit) {
      throw new WasmTableLimitError(
        `${label} needs a table of ${site.limits.min} entries at start, over the limit of ${tableLimit} entries; ` +
          (site.limits.min > V8_MAX_TABLE_ENTRIES
            ? `V8 cannot create tables over ${V8_MAX_TABLE_ENTRIES} entries`
            : `raise tableLimitEntries to at least ${site.limits.min}`),
        tableLimit,
        site.limits.min,
      );
    }
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
  return parsed;
}

/** Large modules compile off the thread. */
async function compileAsync(bytes: Uint8Array, label: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw invalid(error, label);
  }
}

function compileSync(bytes: Uint8Array, label: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>); // V8 also accepts views of shared memory
  } catch (error) {
    throw invalid(error, label);
  }
}

function invalid(error: unknown, label: string): unknown {
  if (!(error instanceof WebAssembly.CompileError)) return error;
  const reason = error.message.replace(/^WebAssembly\.(Module|compile)\(\): /, '');
  const offsetMatch = / @\+(\d+)$/.exec(reason);
  const offset = offsetMatch ? Number(offsetMatch[1]) : undefined;
  const plain = reason.replace(/ @\+\d+$/, '');
  return new WasmInvalidError(
    `${label} is not a valid WebAssembly module: ${plain}${offset === undefined ? '' : ` (at byte ${offset})`}; ` +
      'check that it is a compiled .wasm binary, complete and uncorrupted',
    plain,
    offset,
    { cause: error },
  );
}

// crypto.hash (Node >= 20.12) is one call; older 20.x builds fall back to createHash.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;
function sha256Hex(bytes: Uint8Array): string {
  return oneShotHash ? oneShotHash('sha256', bytes, 'hex') : createHash('sha256').update(bytes).digest('hex');
}
