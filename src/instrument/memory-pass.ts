/**
 * Memory-access hooks, through binaryen's own `instrument-memory` pass: every load and store
 * asks the host for its pointer (`load_ptr`/`store_ptr` with access size and offset) and
 * passes its value through (`load_val_*`/`store_val_*`); `memory.grow` reports before and
 * after. binaryen declares these imports under `env`; they are moved to the host's reserved
 * namespace so they can never collide with, or be mistaken for, the guest's own imports.
 */
import binaryen from 'binaryen';
import { api } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';
import { HOST_MODULE, MEMORY_HOOK_NAMES } from './abi.js';

/** The imports binaryen adds, with their wasm signatures. */
const HOOKS: readonly (readonly [string, readonly number[], number])[] = [
  ['memory_grow_pre', [binaryen.i32, binaryen.i32], binaryen.i32],
  ['memory_grow_post', [binaryen.i32, binaryen.i32], binaryen.i32],
  ['load_ptr', [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32], binaryen.i32],
  ['load_val_i32', [binaryen.i32, binaryen.i32], binaryen.i32],
  ['load_val_i64', [binaryen.i32, binaryen.i64], binaryen.i64],
  ['load_val_f32', [binaryen.i32, binaryen.f32], binaryen.f32],
  ['load_val_f64', [binaryen.i32, binaryen.f64], binaryen.f64],
  ['store_ptr', [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32], binaryen.i32],
  ['store_val_i32', [binaryen.i32, binaryen.i32], binaryen.i32],
  ['store_val_i64', [binaryen.i32, binaryen.i64], binaryen.i64],
  ['store_val_f32', [binaryen.i32, binaryen.f32], binaryen.f32],
  ['store_val_f64', [binaryen.i32, binaryen.f64], binaryen.f64],
];

/** Runs the pass; throws a plain Error naming what it cannot hook (SIMD accesses). */
export function addMemoryHooks(module: binaryen.Module, ir: IrBuilder): void {
  const before = new Set(importedFunctions(module).map((f) => f.name));
  module.runPasses(['instrument-memory']);
  for (const fn of importedFunctions(module)) {
    if (before.has(fn.name)) continue;
    if (!MEMORY_HOOK_NAMES.includes(fn.base)) {
      // e.g. load_val_v128: a v128 cannot cross into JavaScript
      throw new Error(`memory hooks cannot observe ${fn.base.replace(/^.*_/, '')} accesses (${fn.base})`);
    }
  }
  for (const [name, params, result] of HOOKS) {
    if (module.getFunction(name) === 0) continue; // the module never needed this one
    api['_BinaryenRemoveFunction']!((module as unknown as { ptr: number }).ptr, ir.name(name));
    module.addFunctionImport(name, HOST_MODULE, name, binaryen.createType([...params]), result);
  }
}

function importedFunctions(module: binaryen.Module): { name: string; base: string }[] {
  const found: { name: string; base: string }[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module) found.push({ name: info.name, base: info.base ?? '' });
  }
  return found;
}
