/**
 * Which allocator a module's wrapped functions belong to, and whether its frees can be seen:
 * what an AllocationReport says before any number (profiler/model/allocation-report.ts).
 */
import { ALLOCATOR_ROLES, type AllocatorRole } from '../../instrument/abi.js';
import { DEFAULT_ALLOCATORS } from '../../instrument/options.js';
import type { AllocatorInfo } from '../../profiler/model/allocation-report.js';

const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** The role each wrapped function was recognised as, by the map the module was instrumented with. */
export function roleOf(names: Readonly<Record<string, AllocatorRole>>, wrapped: string): AllocatorRole | undefined {
  return names[wrapped] ?? names[lastSegment(wrapped)];
}

export function allocatorInfo(wrapped: readonly string[], names: Readonly<Record<string, AllocatorRole>>, exportsAssemblyScriptRuntime: boolean): AllocatorInfo {
  // Structural: a module from the disk cache carries its own copy of the map.
  const keys = Object.keys(names);
  const custom = keys.length !== Object.keys(DEFAULT_ALLOCATORS).length || keys.some((k) => names[k] !== DEFAULT_ALLOCATORS[k]);
  const roles = wrapped.map((name) => roleOf(names, name));
  const freesVisible = roles.some((role) => role !== undefined && ALLOCATOR_ROLES[role].kind === 'free');
  const assemblyScript = wrapped.some((name) => name.startsWith('~lib/rt/')) || (exportsAssemblyScriptRuntime && wrapped.some((n) => n === '__new'));
  const rust = wrapped.some((name) => /^(__rust_|__rdl_|__wbindgen_)/.test(lastSegment(name)));
  const family: AllocatorInfo['family'] = custom ? 'custom' : assemblyScript ? 'assemblyscript' : rust ? 'rust' : 'c';
  const notes: string[] = [];
  if (wrapped.length === 0) {
    notes.push('no allocator function was recognised (stripped names? pass instrument.allocator a map of function names or func[N] indices)');
  } else if (!freesVisible) {
    notes.push(
      family === 'assemblyscript'
        ? "frees cannot be seen: AssemblyScript's collector frees inside the runtime, found only by the name section's names, which this module lacks; every block looks live (addresses reused later count as inferred frees)"
        : 'frees cannot be seen: no free function was recognised; every block looks live (addresses reused later count as inferred frees)',
    );
  }
  if (family === 'assemblyscript' && freesVisible) {
    notes.push("frees are the collector's sweeps: an object counts as live until it is swept, not when it became unreachable (collect before reading leaks)");
  }
  notes.push('calls through a function table (call_indirect) to an allocator are not seen');
  return { family, functions: [...wrapped], freesVisible, notes };
}
