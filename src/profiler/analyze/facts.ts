/** Small readings of a profile that several rules share. */
import { guestText } from '../../untrusted-text.js';
import type { ExportProfile } from '../build/call-recorder.js';
import type { AnalyzedModule } from './rule.js';

/** Guest text (module labels, export and function names) as it may appear in a title or advice. */
export const shown = (text: string): string => guestText(text, 80);

export const percent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;

export function failedCalls(e: ExportProfile): number {
  return Object.values(e.errors).reduce((n, c) => n + c, 0);
}

/** Every export of every module, with its module. */
export function everyExport(modules: readonly AnalyzedModule[]): { module: AnalyzedModule; e: ExportProfile }[] {
  return modules.flatMap((module) => module.profile.exports.map((e) => ({ module, e })));
}

export const PAGE_BYTES = 65536;

/**
 * The export whose calls enter a guest function, by name: the profile keeps exports by export
 * name and frames by name-section name, which are the same in C and Rust guests, and
 * `assembly/<file>/<export>` in AssemblyScript ones. Undefined when no export, or several, match.
 */
export function exportEntering(exports: readonly ExportProfile[], functionName: string | undefined): ExportProfile | undefined {
  if (functionName === undefined) return undefined;
  const same = exports.find((e) => e.name === functionName);
  if (same !== undefined) return same;
  const byPath = exports.filter((e) => functionName.endsWith(`/${e.name}`));
  return byPath.length === 1 ? byPath[0] : undefined;
}
