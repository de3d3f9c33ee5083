/**
 * Progress with an ETA for long CLI runs, on stderr, and only when stderr is a terminal: CI logs
 * and pipes get nothing extra, and neither does `--quiet`. Drawn by cli-progress (required on
 * first use, so commands that never show progress do not load it).
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import { terminalSafe } from '../profiler/render/terminal-text.js';

export interface Progress {
  /** `n` more units done (calls, rounds, files). Cheap: the bar is redrawn at most 10 times a second. */
  tick(n?: number): void;
  /** Sets the units done outright (for time-based runs). */
  set(done: number): void;
  /** Removes the bar; the terminal is left as it was. */
  stop(): void;
}

const SILENT: Progress = { tick() {}, set() {}, stop() {} };

/** Ticks between looks at the clock: a tick in a hot loop must stay a counter increment. */
const TICKS_PER_LOOK = 256;

export function startProgress(label: string, total: number, options: { readonly quiet: boolean; readonly stream?: NodeJS.WriteStream; readonly unit?: string }): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || stream.isTTY !== true || !(total > 0)) return SILENT;
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new SingleBar({
    stream,
    format: `${terminalSafe(label, 60)} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? ''} | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
    fps: 10,
    etaBuffer: 50,
  });
  bar.start(total, 0);
  let done = 0;
  let sinceLook = 0;
  return {
    tick(n = 1) {
      done += n;
      if (++sinceLook >= TICKS_PER_LOOK || done >= total) {
        sinceLook = 0;
        bar.update(Math.min(done, total));
      }
    },
    set(value) {
      done = value;
      bar.update(Math.min(done, total));
    },
    stop() {
      bar.stop();
    },
  };
}
