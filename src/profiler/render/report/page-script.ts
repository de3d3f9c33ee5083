/**
 * The page's own script (allowed by its hash in the Content-Security-Policy): sortable tables.
 * The flamegraphs bring their own script, inside their SVG (flame-svg.ts). It moves rows, never
 * writes markup.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  // Sortable tables: numbers largest first on the first click, text A to Z; a second click reverses.
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll('button.sort'), function (button) {
      button.addEventListener('click', function () {
        var col = Number(button.getAttribute('data-col'));
        var numeric = button.getAttribute('data-numeric') === '1';
        var th = button.parentNode;
        var first = numeric ? 'descending' : 'ascending';
        var dir = th.getAttribute('aria-sort') === first ? (numeric ? 'ascending' : 'descending') : first;
        Array.prototype.forEach.call(table.querySelectorAll('th'), function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          if (!cell) return numeric ? -Number.MAX_VALUE : '';
          if (!numeric) return cell.textContent;
          var v = cell.getAttribute('data-v');
          return v === null ? -Number.MAX_VALUE : Number(v);
        };
        var keyed = rows.map(function (row, i) { return { row: row, key: key(row), i: i }; });
        keyed.sort(function (a, b) {
          var c = a.key === b.key ? 0 : a.key < b.key ? -1 : 1;
          return (dir === 'ascending' ? c : -c) || a.i - b.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.row); });
      });
    });
  });
})();
`;
