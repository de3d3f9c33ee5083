/** The page's one style sheet (allowed by its hash in the Content-Security-Policy). */
export const PAGE_STYLE = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #fff; --panel: #f7f8fa; --accent: #2a5db0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 16px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top h1 { margin: 0 0 4px; font-size: 20px; }
header.top p { margin: 0; color: var(--muted); }
nav.toc { padding: 8px 24px; border-bottom: 1px solid var(--line); }
nav.toc a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 8px 24px 48px; max-width: 1280px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 12px 0; }
.panel:target, tr:target, .finding:target { outline: 3px solid #f2b705; }
tr:target td { background: #fff6cc; }
.empty, .note, .meta { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0; background: var(--bg); }
caption { text-align: left; color: var(--muted); padding: 2px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { font-weight: 600; }
button.sort { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: var(--fg); }
th[aria-sort="ascending"] button.sort::after { content: " ▲"; }
th[aria-sort="descending"] button.sort::after { content: " ▼"; }
.idx { color: var(--muted); font-size: 12px; }
ol.findings { padding-left: 22px; }
.finding { margin: 10px 0; padding: 8px 10px; background: var(--panel); border: 1px solid var(--line); border-left: 5px solid #888; border-radius: 4px; }
.finding p { margin: 4px 0; }
.sev-high { border-left-color: #c62828; } .sev-medium { border-left-color: #ef6c00; } .sev-low { border-left-color: #f9a825; } .sev-info { border-left-color: #607d8b; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; background: #444; color: #fff; font-size: 12px; text-transform: uppercase; }
.sev-high .badge { background: #c62828; } .sev-medium .badge { background: #ef6c00; } .sev-low .badge { background: #f9a825; color: #222; } .sev-info .badge { background: #607d8b; }
.category, .rule, .confidence, .rating, .read-more { color: var(--muted); font-size: 12px; }
.recommendation { font-weight: 500; }
ul.evidence { margin: 4px 0; padding-left: 18px; color: var(--muted); }
a.evidence-link { color: var(--accent); }
figure.chart { margin: 8px 0; }
svg.plot { max-width: 100%; height: auto; background: var(--bg); }
svg.plot text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg.plot .frame { fill: none; stroke: var(--line); }
svg.plot .grid { stroke: #eceef2; }
.flame svg.wsfg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
svg.bar { max-width: 100%; height: 24px; display: block; margin: 4px 0 8px; }
svg.bar .on-bar { font: 11px system-ui, sans-serif; fill: #fff; }
ul.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 12px; }
details.passed { margin-top: 8px; color: var(--muted); }
.delta-better { color: #2e7d32; font-weight: 600; } .delta-worse { color: #c62828; font-weight: 600; }
.iv { color: var(--muted); font-size: 11.5px; white-space: nowrap; } .warn { color: #ef6c00; cursor: help; }
`;
