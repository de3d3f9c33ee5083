/**
 * The spec suite as scripts/spec-suite.mjs leaves it in build/spec/: a manifest, and per .wast
 * one wast2json script (the JSON wabt writes, plus `spec_suite_skipped` on what was set aside).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SPEC_DIR = fileURLToPath(new URL('../../build/spec/', import.meta.url));

/** A wast2json value: numbers as unsigned decimal bit patterns, NaN patterns, ref values. */
export interface SpecValue {
  readonly type: string;
  /** Absent for `(ref.func)`-style "any non-null" results; an array for v128 lanes. */
  readonly value?: string | readonly string[];
  readonly lane_type?: string;
}

export interface SpecAction {
  readonly type: 'invoke' | 'get';
  readonly module?: string;
  readonly field: string;
  readonly args?: readonly SpecValue[];
}

export interface Base {
  readonly line: number;
  /** Set by the preparation script: why this command cannot be run (its module was not converted, …). */
  readonly spec_suite_skipped?: string;
}

export type SpecCommand =
  | (Base & { readonly type: 'module'; readonly name?: string; readonly filename: string })
  | (Base & { readonly type: 'register'; readonly name?: string; readonly as: string })
  | (Base & { readonly type: 'action' | 'assert_return'; readonly action: SpecAction; readonly expected: readonly SpecValue[] })
  | (Base & { readonly type: 'assert_trap' | 'assert_exhaustion'; readonly action: SpecAction; readonly text: string })
  | (Base & { readonly type: 'assert_exception'; readonly action: SpecAction })
  | ModuleAssertion
  | (Base & { readonly type: string; readonly [key: string]: unknown });

/** assert_invalid, assert_malformed, assert_unlinkable, assert_uninstantiable. */
export interface ModuleAssertion extends Base {
  readonly type: 'assert_invalid' | 'assert_malformed' | 'assert_unlinkable' | 'assert_uninstantiable';
  readonly filename: string;
  readonly text: string;
  readonly module_type: 'binary' | 'text';
}

export interface SpecScript {
  /** `core/table_copy.wast`, `binaryen/imports.wast`, … */
  readonly name: string;
  readonly source: string;
  readonly commands: readonly SpecCommand[];
  /** Reads a module file the script names. */
  readonly read: (filename: string) => Uint8Array;
}

export interface SetAside {
  readonly line: number;
  readonly kind: string;
  readonly reason: string;
}

export interface ManifestFile {
  readonly name: string;
  readonly source: string;
  readonly json: string;
  readonly commands: number;
  /** Commands the preparation could not convert (not in the script). */
  readonly dropped: readonly SetAside[];
}

export interface Manifest {
  readonly ok: boolean;
  readonly error?: string;
  readonly wast2json?: string;
  readonly files: readonly ManifestFile[];
  readonly skippedFiles: readonly { readonly name: string; readonly source: string; readonly reason: string }[];
}

/** The manifest, or why there is none (the test reports it and fails). */
export function readManifest(): Manifest {
  const path = join(SPEC_DIR, 'manifest.json');
  if (!existsSync(path)) {
    return { ok: false, error: `${path} is missing: run \`node scripts/spec-suite.mjs\` (npm test does)`, files: [], skippedFiles: [] };
  }
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  return manifest.ok ? manifest : { ...manifest, files: [], skippedFiles: [] };
}

export function readScript(file: ManifestFile): SpecScript {
  const path = join(SPEC_DIR, file.json);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { commands: SpecCommand[] };
  const dir = dirname(path);
  return { name: file.name, source: file.source, commands: json.commands, read: (filename) => new Uint8Array(readFileSync(join(dir, filename))) };
}

/** Commands that assert something (everything but module, register and plain actions). */
export function isAssertion(type: string): boolean {
  return type.startsWith('assert_');
}
