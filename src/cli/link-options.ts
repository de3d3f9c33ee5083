/**
 * `--imports <file.mjs>` and `--trap-unknown-imports`: what the CLI grants a guest. The imports
 * module's default export is the imports object, or a function of the module id (the file's
 * name without `.wasm`) returning it — the same contract as a pool's `importsModule`, so one
 * file serves `run`, `profile`, `load` and `tune`. With `--trap-unknown-imports`, every function
 * import still not granted is linked to a stand-in that throws ERR_IMPORT_NOT_GRANTED if called
 * (wasmtime's flag of the same name), so exports that never reach one can be run and profiled.
 */
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, type GrantedImports, type PoolModuleOptions, type UnknownImports } from '../index.js';
import { guestText } from '../untrusted-text.js';

export interface LinkFlags {
  readonly importsModule?: string;
  readonly trapUnknownImports: boolean;
}

/** What a sandbox made by the CLI is instantiated with. */
export interface SandboxLink {
  readonly imports?: GrantedImports;
  readonly unknownImports?: UnknownImports;
}

/** The id the imports module's function is called with: the file's name without `.wasm`. */
export function moduleIdOf(file: string): string {
  return basename(file).replace(/\.wasm$/, '') || 'module';
}

function importsUrl(path: string): string {
  return /^[a-z][a-z0-9+.-]+:/i.test(path) ? path : pathToFileURL(resolve(path)).href;
}

/** Loads the imports module (once, in this thread) for in-process sandboxes. */
export async function sandboxLink(flags: LinkFlags, file: string): Promise<SandboxLink> {
  const unknown = flags.trapUnknownImports ? { unknownImports: 'trap' as const } : {};
  if (flags.importsModule === undefined) return unknown;
  let exported: unknown;
  try {
    exported = ((await import(importsUrl(flags.importsModule))) as { default?: unknown }).default;
    if (typeof exported === 'function') exported = await (exported as (id: string) => unknown)(moduleIdOf(file));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InvalidOptionError(`--imports ${guestText(flags.importsModule)} failed to load: ${guestText(why)}`, { cause: error });
  }
  if (exported === null || typeof exported !== 'object') {
    throw new InvalidOptionError(
      `--imports ${guestText(flags.importsModule)}: its default export must be the imports object ({ module: { name: value } }) or a function returning it`,
    );
  }
  return { imports: exported as GrantedImports, ...unknown };
}

/** The same grants for a pool's module: its workers load the imports module themselves. */
export function poolLink(flags: LinkFlags): Pick<PoolModuleOptions, 'importsModule' | 'unknownImports'> {
  return {
    ...(flags.importsModule === undefined ? {} : { importsModule: importsUrl(flags.importsModule) }),
    ...(flags.trapUnknownImports ? { unknownImports: 'trap' as const } : {}),
  };
}
