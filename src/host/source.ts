import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { WasmSourceError } from '../errors.js';

/** Where module bytes come from: a file path, a URL (file:, http:, https:, data:), or the bytes themselves. */
export type ModuleSource = string | URL | Uint8Array | ArrayBuffer;

export interface ReadSource {
  readonly bytes: Uint8Array;
  /** A short human name: the file name, the URL, or `<bytes>`. */
  readonly label: string;
}

export async function readSource(source: ModuleSource): Promise<ReadSource> {
  if (source instanceof Uint8Array) return { bytes: source, label: '<bytes>' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), label: '<bytes>' };
  if (source instanceof URL) return readUrl(source);
  if (typeof source === 'string') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^data:/i.test(source)) return readUrl(new URL(source));
    return readPath(source, source);
  }
  throw new WasmSourceError(
    `cannot load a module from ${describe(source)}: pass a file path, a URL, a Uint8Array or an ArrayBuffer`,
  );
}

async function readPath(path: string, shown: string): Promise<ReadSource> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new WasmSourceError(`cannot read module ${shown}: ${why}; check the path`, { cause: error });
  }
  if (info.isDirectory()) {
    throw new WasmSourceError(`cannot read module ${shown}: it is a directory; pass the path of a .wasm file inside it`);
  }
  try {
    return { bytes: await readFile(path), label: basename(path) };
  } catch (error) {
    throw new WasmSourceError(`cannot read module ${shown}: ${(error as Error).message}`, { cause: error });
  }
}

async function readUrl(url: URL): Promise<ReadSource> {
  if (url.protocol === 'file:') return readPath(fileURLToPath(url), url.href);
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'data:') {
    throw new WasmSourceError(`cannot load a module from ${url.protocol} URLs: use file:, http:, https: or data:`);
  }
  const shown = url.protocol === 'data:' ? 'data: URL' : url.href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new WasmSourceError(`cannot fetch module ${shown}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    throw new WasmSourceError(`cannot fetch module ${shown}: HTTP ${response.status} ${response.statusText}`);
  }
  return { bytes: new Uint8Array(await response.arrayBuffer()), label: shown };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
