/**
 * Tables the page script can sort: each header is a button, each cell may carry the value it
 * sorts by (`data-v`, a number) beside what it shows. Cells arrive as HTML already escaped.
 */
import { text } from './html-text.js';

export interface Column {
  readonly label: string;
  /** Numbers align right and sort numerically (largest first on the first click). */
  readonly numeric?: boolean;
  readonly title?: string;
}

export interface Cell {
  readonly html: string;
  readonly sort?: number;
}

export interface Row {
  readonly id?: string;
  readonly cells: readonly (Cell | string)[];
}

export function sortableTable(id: string, columns: readonly Column[], rows: readonly Row[], caption?: string): string {
  const head = columns
    .map((c, i) => `<th scope="col"${c.numeric ? ' class="n"' : ''}${c.title ? ` title="${text(c.title)}"` : ''}><button type="button" class="sort" data-col="${i}"${c.numeric ? ' data-numeric="1"' : ''}>${text(c.label)}</button></th>`)
    .join('');
  const body = rows
    .map((r) => {
      const cells = r.cells
        .map((cell, i) => {
          const c = typeof cell === 'string' ? { html: cell } : cell;
          const numeric = columns[i]?.numeric === true;
          const v = c.sort !== undefined && Number.isFinite(c.sort) ? ` data-v="${c.sort}"` : '';
          return `<td${numeric ? ' class="n"' : ''}${v}>${c.html}</td>`;
        })
        .join('');
      return `<tr${r.id ? ` id="${r.id}"` : ''}>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="sortable" id="${id}">${caption ? `<caption>${text(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A numeric cell: shown formatted, sorted by the raw value. */
export function numberCell(value: number | undefined, format: (v: number) => string): Cell {
  return value === undefined || !Number.isFinite(value) ? { html: '—' } : { html: text(format(value)), sort: value };
}
