/**
 * A guest profile's flamegraph: one frame per call-tree node, width by total weight, stable
 * colours from a hash of the function name, and the interaction flame-svg.ts draws (hover
 * details with units, click to zoom with faded ancestors, narrow frames merged per zoom,
 * search with a case toggle, Ctrl-F and reset). Frames are the tree's nodes, so two functions
 * with one name stay two frames; the tooltip gives the index. Calls are unknown when
 * sampling and shown as '—', as the CLI's table does.
 */
import type { CallTree, CallTreeNode } from '../model/call-tree.js';
import { FLAME_DEFAULTS, renderFlameSvg, type FlameSource } from './flame-svg.js';

export { escapeXml, inlineFlamegraph, type InlineFlamegraph } from './flame-svg.js';

export interface FlamegraphOptions {
  readonly title?: string;
  /** Top-down (icicle) instead of bottom-up (flame). @default false */
  readonly icicle?: boolean;
  /** @default 1200 (FLAME_DEFAULTS.width) */
  readonly width?: number;
  /** Frames narrower than this many pixels at the current zoom are merged. @default 0.1 (FLAME_DEFAULTS.minFramePx) */
  readonly minFramePx?: number;
  /** Most frames the file embeds (the widest); the others are merged for good. @default 20000 (FLAME_DEFAULTS.maxFrames) */
  readonly maxFrames?: number;
}

function hue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296;
}

/** flamegraph.pl's warm palette (red to yellow), by a hash of the name so colours are stable. */
export function flameColour(name: string): string {
  const v = hue(name);
  return `rgb(${205 + Math.round(50 * v)},${Math.round(80 + 150 * ((v * 7) % 1))},${Math.round(55 * ((v * 13) % 1))})`;
}

export function renderFlamegraph(tree: CallTree, options: FlamegraphOptions = {}): string {
  const callsKnown = tree.mode !== 'sampling';
  const source: FlameSource<CallTreeNode> = {
    roots: tree.root.children,
    children: (node) => node.children,
    width: (node) => node.total,
    name: (node) => node.name,
    functionIndex: (node) => node.functionIndex,
    fill: (node) => flameColour(node.name),
    values: (node) => [node.self, callsKnown ? node.calls : -1],
  };
  return renderFlameSvg({
    kind: 'profile',
    source,
    unit: tree.unit,
    sampleIntervalNs: tree.sampleIntervalNs,
    title: options.title ?? `Guest profile (${tree.mode}, ${tree.unit})`,
    notes: tree.notes,
    icicle: options.icicle === true,
    width: options.width ?? FLAME_DEFAULTS.width,
    minFramePx: options.minFramePx ?? FLAME_DEFAULTS.minFramePx,
    maxFrames: options.maxFrames ?? FLAME_DEFAULTS.maxFrames,
  });
}
