import { guestText, MAX_GUEST_TEXT } from '../../untrusted-text.js';

/**
 * Guest-controlled strings reach terminals: control characters are shown as escapes and long
 * text is shortened (see untrusted-text.ts).
 */
export function terminalSafe(text: string, max: number = MAX_GUEST_TEXT): string {
  return guestText(text, max);
}

/** Widest cell: a shortened name plus a disambiguating ` (func[N])` (frame-labels.ts) fits. */
const MAX_CELL = MAX_GUEST_TEXT + 40;

export type Align = 'left' | 'right';

/** Renders rows as an aligned text table; every cell is made terminal-safe. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const safeRows = [headers, ...rows].map((row) => row.map((cell) => terminalSafe(cell, MAX_CELL)));
  const widths = headers.map((_, i) => Math.max(...safeRows.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - [...cell].length);
        return align[i] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const [head, ...body] = safeRows;
  return [line(head!), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Nanoseconds in the unit that keeps 3–4 significant digits. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatMs(ms: number | undefined): string {
  return ms === undefined ? '—' : formatNs(ms * 1e6);
}

export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return '—';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}
