/**
 * The page's one script (allowed by its hash in the Content-Security-Policy): sortable tables
 * and the interactive flamegraphs (click to zoom, search to highlight, hover for details),
 * drawn from the embedded JSON. Every name reaches the page through `textContent`, never as
 * markup; styles are set through the CSSOM (which the policy allows), never as attributes.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

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

  function fmt(v) {
    var a = Math.abs(v);
    return a >= 1e9 ? (v / 1e9).toFixed(2) + 'G' : a >= 1e6 ? (v / 1e6).toFixed(2) + 'M' : a >= 1e3 ? (v / 1e3).toFixed(1) + 'k' : String(Math.round(v));
  }
  function hash(name) {
    var h = 2166136261;
    for (var i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296;
  }
  function matcher(term) {
    if (!term) return null;
    var m = /^\/(.*)\/([a-z]*)$/.exec(term);
    if (m) { try { return new RegExp(m[1], m[2]); } catch (e) { return null; } }
    var lower = term.toLowerCase();
    return { test: function (s) { return s.toLowerCase().indexOf(lower) >= 0; } };
  }

  var ROW = 18;
  Array.prototype.forEach.call(document.querySelectorAll('.flame'), function (el) {
    var fd = data.flames[Number(el.getAttribute('data-flame'))];
    var holder = el.parentNode;
    var search = holder.querySelector('.flame-search'), reset = holder.querySelector('.flame-reset');
    var status = holder.querySelector('.flame-status'), details = holder.querySelector('.flame-details');
    var diff = el.classList.contains('diff');
    var frames = [], depth = 0;
    // Node: [name, functionIndex, total, self, calls, children, beforeTotal, beforeSelf]
    (function place(node, d, start) {
      var x = start;
      node[5].forEach(function (c) {
        frames.push({ n: c, d: d, s: x, w: c[2] });
        depth = Math.max(depth, d + 1);
        place(c, d + 1, x);
        x += c[2];
      });
    })(fd.root, 0, 0);
    var maxDelta = 0;
    if (diff) frames.forEach(function (f) {
      f.delta = f.n[3] / (fd.total || 1) - (f.n[7] || 0) / (fd.beforeTotal || 1);
      maxDelta = Math.max(maxDelta, Math.abs(f.delta));
    });
    // The zoomed range, and the depth of the frame zoomed on (its callers are drawn faded).
    var view = { s: 0, w: fd.total, d: 0 };
    var re = null;
    function colour(f) {
      if (f.n[1] < 0 && /^\(\d+ narrow frames?\)$/.test(f.n[0])) return '#ccc';
      if (diff) {
        var t = maxDelta > 0 ? Math.min(1, Math.abs(f.delta) / maxDelta) : 0;
        var c = Math.round(235 - 175 * t);
        return f.delta > 0 ? 'rgb(250,' + c + ',' + c + ')' : f.delta < 0 ? 'rgb(' + c + ',' + c + ',250)' : 'rgb(235,235,235)';
      }
      var v = hash(f.n[0]);
      return 'rgb(' + (205 + Math.round(50 * v)) + ',' + Math.round(80 + 150 * ((v * 7) % 1)) + ',' + Math.round(55 * ((v * 13) % 1)) + ')';
    }
    function describe(f) {
      var n = f.n, share = fd.total > 0 ? (100 * n[2] / fd.total).toFixed(2) : '0';
      var s = n[0] + (n[1] >= 0 ? ' (func[' + n[1] + '])' : '') + ' — total ' + fmt(n[2]) + ' ' + fd.unit + ' (' + share + ' %), self ' + fmt(n[3]) + ', calls ' + n[4];
      if (diff) s += ' — before: total ' + fmt(n[6] || 0) + ', self ' + fmt(n[7] || 0) + '; own share ' + (f.delta >= 0 ? '+' : '') + (100 * f.delta).toFixed(2) + ' points';
      return s;
    }
    function draw() {
      el.textContent = '';
      var width = el.clientWidth || 960, k = width / (view.w || 1);
      el.style.height = (depth * ROW + 2) + 'px';
      frames.forEach(function (f, i) {
        var x0 = Math.max(f.s, view.s), x1 = Math.min(f.s + f.w, view.s + view.w);
        var w = (x1 - x0) * k;
        if (x1 <= x0 || w < 0.5) return;
        var div = document.createElement('div');
        div.className = 'frame' + (re !== null && re.test(f.n[0]) ? ' match' : '') + (f.d < view.d ? ' ancestor' : '');
        div.setAttribute('data-i', String(i));
        div.style.left = ((x0 - view.s) * k) + 'px';
        div.style.width = Math.max(0.5, w - 1) + 'px';
        div.style.top = (f.d * ROW) + 'px';
        div.style.backgroundColor = colour(f);
        if (w > 28) div.textContent = f.n[0];
        el.appendChild(div);
      });
    }
    function frameOf(event) {
      var t = event.target;
      return t && t.getAttribute && t.getAttribute('data-i') !== null ? frames[Number(t.getAttribute('data-i'))] : undefined;
    }
    el.addEventListener('click', function (event) {
      var f = frameOf(event);
      if (f) { view = { s: f.s, w: f.w, d: f.d }; draw(); }
    });
    el.addEventListener('mouseover', function (event) {
      var f = frameOf(event);
      details.textContent = f ? describe(f) : ' ';
    });
    reset.addEventListener('click', function () { view = { s: 0, w: fd.total, d: 0 }; draw(); });
    search.addEventListener('input', function () {
      re = matcher(search.value);
      var matched = 0, share = 0, covered = -1;
      if (re !== null) frames.forEach(function (f) {
        if (!re.test(f.n[0])) return;
        matched++;
        // a match nested inside another match is already counted in its share
        if (f.s >= covered) { share += f.w; covered = f.s + f.w; }
      });
      status.textContent = re === null ? '' : matched + ' frame' + (matched === 1 ? '' : 's') + ' match, ' + (fd.total > 0 ? (100 * share / fd.total).toFixed(1) : '0') + ' % of the total';
      draw();
    });
    window.addEventListener('resize', draw);
    draw();
  });
})();
`;
