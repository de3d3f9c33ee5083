/** The frames a flamegraph file embeds for its script, read back from the file's text. */
export interface EmbeddedFrame {
  readonly name: string | undefined;
  readonly depth: number;
  readonly start: number;
  readonly width: number;
  readonly functionIndex: number;
  /** How many frames a merged-at-write-time entry stands for (0 for a frame). */
  readonly hidden: number;
  readonly values: number[];
}

export interface EmbeddedData {
  readonly kind: string;
  readonly total: number;
  readonly names: string[];
  readonly frames: EmbeddedFrame[];
}

export function flameData(svg: string): EmbeddedData {
  const json = /\nvar D = (\{.*?\}), ID = '[0-9a-f]{8}';\n/.exec(svg)?.[1];
  if (json === undefined) throw new Error('no embedded flamegraph data');
  const data = JSON.parse(json) as { kind: string; total: number; names: string[]; frames: number[][] };
  return {
    kind: data.kind,
    total: data.total,
    names: data.names,
    frames: data.frames.map(([name, depth, start, width, , functionIndex, hidden, ...values]) => ({
      name: name! < 0 ? undefined : data.names[name!],
      depth: depth!,
      start: start!,
      width: width!,
      functionIndex: functionIndex!,
      hidden: hidden!,
      values,
    })),
  };
}
