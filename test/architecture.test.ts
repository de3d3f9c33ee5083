/**
 * The arrows of ../shared/DESIGN.md, checked on the source: which room may import which, where
 * threads and Atomics may appear, no cycles among value imports, and binaryen reachable only
 * through the engine's dynamic import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

interface Import {
  /** Resolved project file (relative to src/, `.ts`) or the bare package specifier. */
  readonly target: string;
  /** Erased at run time (`import type`, or every named binding a type). */
  readonly typeOnly: boolean;
  /** `import('…')`: loaded on demand, not when the importer loads. */
  readonly dynamic: boolean;
}

interface SourceFile {
  readonly path: string;
  readonly imports: readonly Import[];
  /** `Atomics.…` and `new SharedArrayBuffer` in code (comments and types do not count). */
  readonly usesAtomics: boolean;
  readonly createsSharedMemory: boolean;
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return relative(SRC, resolve(dirname(from), specifier)).replace(/\.js$/, '.ts');
}

function parse(file: string): SourceFile {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const imports: Import[] = [];
  let usesAtomics = false;
  let createsSharedMemory = false;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      let typeOnly: boolean;
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        const named = clause?.namedBindings;
        typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
      } else {
        const clause = node.exportClause;
        typeOnly = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      }
      imports.push({ target: resolveSpecifier(file, node.moduleSpecifier.text), typeOnly, dynamic: false });
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteral(argument)) imports.push({ target: resolveSpecifier(file, argument.text), typeOnly: false, dynamic: true });
    }
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Atomics') usesAtomics = true;
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'SharedArrayBuffer') createsSharedMemory = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { path: relative(SRC, file), imports, usesAtomics, createsSharedMemory };
}

const files = new Map(listSources(SRC).map((file) => [relative(SRC, file), parse(file)]));
const room = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path.replace(/\.ts$/, ''));

/** Rooms each room may import at run time (errors.ts and untrusted-text.ts are everyone's). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  wasm: ['wasm', 'errors', 'untrusted-text'],
  instrument: ['instrument', 'wasm', 'errors', 'untrusted-text'],
  profiler: ['profiler', 'errors', 'untrusted-text'],
  host: ['host', 'instrument', 'wasm', 'profiler', 'errors', 'untrusted-text'],
  pool: ['pool', 'host', 'instrument', 'wasm', 'profiler', 'errors', 'untrusted-text'],
  tuner: ['tuner', 'pool', 'profiler', 'errors', 'untrusted-text'],
  observe: ['observe', 'profiler', 'errors', 'untrusted-text'],
  // The CLI may use the public API, as a user would.
  cli: ['cli', 'index', 'tuner', 'pool', 'host', 'instrument', 'wasm', 'profiler', 'observe', 'errors', 'untrusted-text'],
  errors: ['errors', 'untrusted-text'],
  'untrusted-text': ['untrusted-text'],
  index: ['index', 'cli', 'tuner', 'pool', 'host', 'instrument', 'wasm', 'profiler', 'observe', 'errors', 'untrusted-text'],
};

describe('architecture (DESIGN.md arrows)', () => {
  it('reads every source file', () => {
    expect(files.size).toBeGreaterThan(40);
    expect(files.get('host/host.ts')?.imports.length).toBeGreaterThan(5);
  });

  it('each room imports only the rooms its arrows point to', () => {
    const wrong: string[] = [];
    for (const file of files.values()) {
      const allowed = ALLOWED[room(file.path)];
      if (allowed === undefined) {
        wrong.push(`${file.path}: room ${room(file.path)} is not in DESIGN.md`);
        continue;
      }
      for (const imported of file.imports) {
        if (!files.has(imported.target)) continue; // packages and node: built-ins
        if (!allowed.includes(room(imported.target))) wrong.push(`${file.path} → ${imported.target}${imported.typeOnly ? ' (type)' : ''}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('profiler/ is pure: no threads, no file system, no network, no inspector', () => {
    const impure = [...files.values()]
      .filter((f) => room(f.path) === 'profiler')
      .flatMap((f) => f.imports.filter((i) => /^node:(worker_threads|fs|fs\/promises|net|http|https|inspector|child_process)$/.test(i.target)).map((i) => `${f.path} → ${i.target}`));
    expect(impure).toEqual([]);
  });

  it('worker threads, shared memory and Atomics live in pool/ (host/ has only the interrupt adapter)', () => {
    const outside: string[] = [];
    for (const file of files.values()) {
      const inPool = room(file.path) === 'pool';
      if (!inPool && file.imports.some((i) => i.target === 'node:worker_threads' || i.target === 'piscina')) outside.push(`${file.path}: worker threads`);
      if (!inPool && file.createsSharedMemory) outside.push(`${file.path}: new SharedArrayBuffer`);
      if (!inPool && file.usesAtomics && file.path !== 'host/budget-meter.ts') outside.push(`${file.path}: Atomics`);
    }
    expect(outside).toEqual([]);
  });

  it('has no cycles among value imports', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const walk = (path: string): void => {
      state.set(path, 'open');
      stack.push(path);
      for (const imported of files.get(path)!.imports) {
        if (imported.typeOnly || imported.dynamic || !files.has(imported.target)) continue;
        const seen = state.get(imported.target);
        if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(imported.target)), imported.target].join(' → '));
        else if (seen === undefined) walk(imported.target);
      }
      stack.pop();
      state.set(path, 'done');
    };
    for (const path of files.keys()) if (!state.has(path)) walk(path);
    expect(cycles).toEqual([]);
  });

  it('binaryen loads only through the engine: importing the package, a pool worker or the CLI never loads it', () => {
    const reached = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const visit = (path: string): void => {
        if (seen.has(path)) return;
        seen.add(path);
        for (const imported of files.get(path)?.imports ?? []) if (!imported.typeOnly && !imported.dynamic) visit(imported.target);
      };
      visit(entry);
      return seen;
    };
    for (const entry of ['index.ts', 'pool/worker.ts', 'cli/main.ts']) {
      expect([...reached(entry)].filter((p) => p === 'binaryen' || p.startsWith('binaryen/')), entry).toEqual([]);
    }
    // …and the engine does reach it, so this check is not vacuous.
    const engine = files.get('instrument/engine.ts')!;
    expect(engine.imports).toContainEqual({ target: 'instrument/instrument.ts', typeOnly: false, dynamic: true });
    expect(reached('instrument/instrument.ts').has('binaryen')).toBe(true);
  });
});
