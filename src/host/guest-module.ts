/**
 * A loaded, compiled guest module: what it is (inspection), how it loaded (cold start),
 * how its exports have been called (one recorder per export, shared by its sandboxes),
 * and the factory for sandboxes.
 */
import { instantiateSync, type Imports as LoaderImports } from '@assemblyscript/loader';
import { GuestAbortError, WasmExportNotFoundError, WasmMemoryLimitError, WasmSandboxError } from '../errors.js';
import { CallRecorder, type TimingPolicy } from '../profiler/call-recorder.js';
import { MODULE_PROFILE_SCHEMA, type ColdStart, type ModuleProfile } from '../profiler/module-profile.js';
import { assemblyScriptEnv, type TraceLogger } from './assemblyscript.js';
import { buildImportObject, linkErrorToTyped, type GrantedImports } from './imports.js';
import type { ModuleInfo } from './inspect.js';
import type { ModuleCacheStats } from './module-cache.js';
import { Sandbox } from './sandbox.js';
import { trapError, trapKindOf } from './traps.js';
import type { AssemblyScriptHelpers } from './typed-call.js';
import { functionName, type FunctionType, type ParsedModule } from './wasm-binary.js';

/** An export as every sandbox of a module calls it. */
export interface ExportTarget {
  readonly name: string;
  readonly signature: FunctionType;
  readonly recorder: CallRecorder;
  /** `module.wasm: name()`, for messages. */
  readonly where: string;
}

export interface SandboxOptions {
  /** Imports granted to the guest, by module and field. Nothing else is reachable. @default {} */
  readonly imports?: GrantedImports;
  /** Seed for the guest's `Math.random` (AssemblyScript `env.seed`); random when unset. */
  readonly seed?: number;
  /** Receives AssemblyScript `trace()` calls. @default the host's logger */
  readonly trace?: TraceLogger;
}

/** @internal what the host hands a module when it loads */
export interface GuestModuleInit {
  readonly id: string;
  readonly label: string;
  readonly sizeBytes: number;
  readonly compiled: WebAssembly.Module;
  readonly parsed: ParsedModule;
  readonly info: ModuleInfo;
  readonly capped: boolean;
  readonly memoryLimitPages: number;
  readonly timing: TimingPolicy;
  readonly trace: TraceLogger;
  readonly coldStart: Pick<ColdStart, 'readMs' | 'hashMs' | 'cache' | 'compileMs'>;
  readonly cacheStats: () => ModuleCacheStats;
}

export class GuestModule {
  readonly id: string;
  readonly label: string;
  readonly compiled: WebAssembly.Module;
  readonly memoryLimitPages: number;
  /** Memory size last observed in any of this module's instances, bytes. */
  lastKnownMemory = 0;

  private readonly init: GuestModuleInit;
  private readonly targets = new Map<string, ExportTarget>();
  private instantiateMs: number | undefined;
  private firstCallMs: number | undefined;
  private firstCallExport: string | undefined;
  private instances = 0;
  private peakBytes = 0;

  /** @internal created by WasmHost.load */
  constructor(init: GuestModuleInit) {
    this.init = init;
    this.id = init.id;
    this.label = init.label;
    this.compiled = init.compiled;
    this.memoryLimitPages = init.memoryLimitPages;
  }

  inspect(): ModuleInfo {
    return this.init.info;
  }

  /** Name of function `index` from the name section, else `func[N]` / `import:mod.field`. */
  functionName(index: number): string {
    return functionName(this.init.parsed, index);
  }

  /**
   * Creates a sandbox: an instance linked only to `options.imports` (plus AssemblyScript's
   * `env.abort/trace/seed` stand-ins when the module imports them with their stdlib types).
   */
  instantiate(options: SandboxOptions = {}): Sandbox {
    const start = performance.now();
    const parsed = this.init.parsed;
    let memory: WebAssembly.Memory | undefined;
    const imports = buildImportObject(
      this.label,
      parsed.imports,
      options.imports ?? {},
      () => assemblyScriptEnv({ memory: () => memory, moduleLabel: this.label, trace: options.trace ?? this.init.trace, seed: options.seed }),
      this.memoryLimitPages,
    );
    const importedMemory = parsed.imports.find((i) => i.kind === 'memory');
    if (importedMemory !== undefined) memory = imports[importedMemory.module]?.[importedMemory.name] as WebAssembly.Memory;

    let instance: WebAssembly.Instance;
    let helpers: AssemblyScriptHelpers | undefined;
    try {
      if (this.inspect().assemblyScriptRuntime) {
        const result = instantiateSync<Record<string, unknown>>(this.compiled, imports as LoaderImports);
        instance = result.instance;
        helpers = result.exports as unknown as AssemblyScriptHelpers;
      } else {
        instance = new WebAssembly.Instance(this.compiled, imports);
      }
    } catch (error) {
      throw this.instantiationError(error, parsed);
    }
    const exportedMemory = instance.exports['memory'];
    if (memory === undefined && exportedMemory instanceof WebAssembly.Memory) memory = exportedMemory;
    this.instances++;
    this.instantiateMs ??= performance.now() - start;
    return new Sandbox(this, instance, memory, helpers);
  }

  /**
   * What every sandbox needs to call `exportName`: its signature and its recorder (shared by
   * all sandboxes of this module). Throws ERR_WASM_EXPORT_NOT_FOUND for anything but a function.
   */
  exportTarget(exportName: string): ExportTarget {
    const known = this.targets.get(exportName);
    if (known !== undefined) return known;
    const exports = this.init.info.exports;
    const entry = exports.find((e) => e.name === exportName);
    if (entry === undefined || entry.kind !== 'function' || entry.signature === undefined) {
      const functions = exports.filter((e) => e.kind === 'function').map((e) => e.name);
      const what = entry === undefined ? 'has no export' : `exports a ${entry.kind}, not a function,`;
      throw new WasmExportNotFoundError(
        `${this.label} ${what} named ${JSON.stringify(exportName)}; functions it exports: ${functions.join(', ') || '(none)'}`,
        exportName,
        functions,
      );
    }
    const target: ExportTarget = {
      name: exportName,
      signature: entry.signature,
      recorder: new CallRecorder(exportName, this.init.timing),
      where: `${this.label}: ${exportName}()`,
    };
    this.targets.set(exportName, target);
    return target;
  }

  profile(): ModuleProfile {
    const declared = this.init.parsed.memorySites[0]?.limits;
    return {
      schema: MODULE_PROFILE_SCHEMA,
      module: { id: this.id, label: this.label, sizeBytes: this.init.sizeBytes },
      instances: this.instances,
      coldStart: {
        ...this.init.coldStart,
        instantiateMs: this.instantiateMs,
        firstCallMs: this.firstCallMs,
        firstCallExport: this.firstCallExport,
      },
      memory: {
        limitPages: this.memoryLimitPages,
        declaredInitialPages: declared?.min,
        declaredMaximumPages: declared?.max,
        capped: this.init.capped,
        peakBytes: this.peakBytes,
      },
      cache: this.init.cacheStats(),
      exports: [...this.targets.values()]
        .filter((t) => t.recorder.calls > 0)
        .map((t) => t.recorder.snapshot())
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  }

  /** @internal */
  observeMemory(bytes: number): void {
    this.lastKnownMemory = bytes;
    if (bytes > this.peakBytes) this.peakBytes = bytes;
  }

  /** @internal */
  firstCall(exportName: string, ms: number): void {
    if (this.firstCallMs !== undefined) return;
    this.firstCallMs = ms;
    this.firstCallExport = exportName;
  }

  private instantiationError(error: unknown, parsed: ParsedModule): Error {
    if (error instanceof WasmSandboxError) return error;
    if (error instanceof WebAssembly.LinkError) return linkErrorToTyped(this.label, error, parsed.imports, this.memoryLimitPages);
    const kind = trapKindOf(error);
    if (kind !== undefined) return trapError(error as Error, kind, this.label, '(start function)', (i) => this.functionName(i));
    if (error instanceof RangeError && /Out of memory|Cannot allocate Wasm memory/i.test(error.message)) {
      return new WasmMemoryLimitError(
        `${this.label}: the process could not reserve memory for another instance (V8: ${error.message}); ` +
          'close unused sandboxes, or run guests in a worker pool',
        this.memoryLimitPages,
        parsed.memorySites[0]?.limits.min,
        { cause: error },
      );
    }
    if (error instanceof GuestAbortError) return error;
    return error instanceof Error ? error : new Error(String(error));
  }
}
