import {
  exportSignature,
  functionName,
  type ExternalKind,
  type FunctionType,
  type Limits,
  type ParsedModule,
  type ValueType,
} from '../wasm/wasm-binary.js';

export interface ImportInfo {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternalKind;
  /** Human-readable type: `(i32, i32) -> i32`, `memory 1..4 pages`, `global mut i32`, … */
  readonly type: string;
  readonly signature?: FunctionType;
  readonly limits?: Limits;
}

export interface ExportInfo {
  readonly name: string;
  readonly kind: ExternalKind;
  readonly type: string;
  readonly signature?: FunctionType;
}

export interface ModuleInfo {
  readonly imports: readonly ImportInfo[];
  readonly exports: readonly ExportInfo[];
  readonly memories: readonly (Limits & { readonly imported: boolean })[];
  readonly tables: readonly (Limits & { readonly imported: boolean; readonly element: ValueType })[];
  readonly functionCount: number;
  readonly startFunction: string | undefined;
  readonly hasNameSection: boolean;
  readonly moduleName: string | undefined;
  readonly customSections: readonly string[];
  /** Exports AssemblyScript's runtime helpers (`__new`, `__pin`, `__unpin`): typed calls are available. */
  readonly assemblyScriptRuntime: boolean;
}

export function signatureText(type: FunctionType | undefined): string {
  if (type === undefined) return '(unknown signature)';
  const results = type.results.length === 0 ? 'nil' : type.results.length === 1 ? type.results[0]! : `(${type.results.join(', ')})`;
  return `(${type.params.join(', ')}) -> ${results}`;
}

function limitsText(limits: Limits, unit: string): string {
  return `${limits.min}..${limits.max ?? '∞'} ${unit}${limits.shared ? ' shared' : ''}${limits.index64 ? ' i64' : ''}`;
}

export function inspectParsed(parsed: ParsedModule): ModuleInfo {
  const imports: ImportInfo[] = parsed.imports.map((entry) => {
    const base = { module: entry.module, name: entry.name, kind: entry.kind };
    switch (entry.kind) {
      case 'function':
        return { ...base, type: signatureText(entry.type), ...(entry.type ? { signature: entry.type } : {}) };
      case 'memory':
        return { ...base, type: `memory ${limitsText(entry.limits, 'pages')}`, limits: entry.limits };
      case 'table':
        return { ...base, type: `table ${entry.element} ${limitsText(entry.limits, 'entries')}`, limits: entry.limits };
      case 'global':
        return { ...base, type: `global ${entry.mutable ? 'mut ' : ''}${entry.type}` };
      case 'tag':
        return { ...base, type: 'tag' };
    }
  });

  const importedMemories = parsed.imports.filter((i) => i.kind === 'memory');
  const importedTables = parsed.imports.filter((i) => i.kind === 'table');
  const importedGlobals = parsed.imports.filter((i) => i.kind === 'global');
  const memories = [
    ...importedMemories.map((i) => ({ ...i.limits, imported: true })),
    ...parsed.memories.map((m) => ({ ...m, imported: false })),
  ];
  const tables = [
    ...importedTables.map((i) => ({ ...i.limits, element: i.element, imported: true })),
    ...parsed.tables.map((t) => ({ ...t.limits, element: t.element, imported: false })),
  ];

  const exports: ExportInfo[] = parsed.exports.map((entry) => {
    const base = { name: entry.name, kind: entry.kind };
    switch (entry.kind) {
      case 'function': {
        const signature = exportSignature(parsed, entry);
        return { ...base, type: signatureText(signature), ...(signature ? { signature } : {}) };
      }
      case 'memory': {
        const limits = memories[entry.index];
        return { ...base, type: limits ? `memory ${limitsText(limits, 'pages')}` : 'memory' };
      }
      case 'table': {
        const table = tables[entry.index];
        return { ...base, type: table ? `table ${table.element} ${limitsText(table, 'entries')}` : 'table' };
      }
      case 'global': {
        const global =
          entry.index < importedGlobals.length
            ? importedGlobals[entry.index]
            : parsed.globals[entry.index - importedGlobals.length];
        const text = global && 'mutable' in global ? `global ${global.mutable ? 'mut ' : ''}${String(global.type)}` : 'global';
        return { ...base, type: text };
      }
      case 'tag':
        return { ...base, type: 'tag' };
    }
  });

  const exported = new Set(parsed.exports.map((e) => e.name));
  return {
    imports,
    exports,
    memories,
    tables,
    functionCount: parsed.functionTypes.length,
    startFunction: parsed.startFunction === undefined ? undefined : functionName(parsed, parsed.startFunction),
    hasNameSection: parsed.hasNameSection,
    moduleName: parsed.moduleName,
    customSections: parsed.customSections,
    assemblyScriptRuntime: exported.has('__new') && exported.has('__pin') && exported.has('__unpin') && exported.has('memory'),
  };
}
