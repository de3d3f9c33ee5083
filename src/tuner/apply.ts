/**
 * The tuner's side that talks to a pool: it applies what the controller (decide.ts) asks for
 * with `pool.configure(…, 'tuner')`, measures each epoch — calls settled and their latency from
 * the pool's call observer, arrivals and outstanding calls from `pool.load()` sampled every few
 * milliseconds, process CPU time and resident memory — and hands the figures back. Its log is
 * part of `pool.profile()` (`tuning`).
 *
 * It takes the pool's one call-observer slot while it runs. Epochs end after both their calls
 * and their time, or at 8× their time when calls are scarce (a CPU-bound guest), so a quiet
 * pool never stalls the tuner.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { createLatencyHistogram, releaseHistogram } from '../profiler/build/latency-histogram.js';
import type { Finding } from '../profiler/model/finding.js';
import type { EpochFigures, LiveSetting, LiveSettings, TuningLog } from '../profiler/model/tuning.js';
import { LIVE_SETTINGS } from '../profiler/model/tuning.js';
import type { WasmPool } from '../pool/pool.js';
import { TuningController, type ControllerOptions, type EpochCommand } from './decide.js';
import { tuningFindings } from './findings.js';
import { knobsFor } from './knobs.js';

export interface TunerOptions extends Omit<ControllerOptions, 'knobs'> {
  /** Which live settings to tune. @default all four (threads only when the pool's bounds allow it) */
  readonly settings?: readonly LiveSetting[];
  /** How often the pool's load is sampled (idle share), ms. @default 2 */
  readonly sampleMs?: number;
}

/** An epoch ends at the latest after this many times its time, however few calls it saw. */
const MAX_EPOCH_FACTOR = 8;

export class PoolTuner {
  private readonly controller: TuningController;
  private running = true;
  private readonly done: Promise<void>;
  private readonly mode: TuningLog['mode'];
  private failure: unknown;

  constructor(
    private readonly pool: WasmPool,
    options: TunerOptions,
  ) {
    const bounds = pool.settings();
    this.controller = new TuningController(pick(bounds), { ...options, knobs: knobsFor(bounds, options.settings) });
    this.mode = options.dryRun === true ? 'dry-run' : 'live';
    pool.reportTuning(() => this.log());
    this.done = this.loop(options.sampleMs ?? 2);
  }

  /** The trials so far, as `pool.profile().tuning` shows them. */
  log(): TuningLog {
    return this.controller.log(this.mode);
  }

  /** Recommendations (dry run) and accepted changes as findings, for the analyzer's readers. */
  findings(): Finding[] {
    return tuningFindings(this.log());
  }

  /** Settings the tuner keeps (the incumbent). */
  get settings(): LiveSettings {
    return this.controller.settings;
  }

  /**
   * Stops after the current epoch and leaves the pool at the incumbent (a candidate in force is
   * taken back). Resolves with the log; rejects if the tuner failed (the pool closed, say).
   */
  async stop(): Promise<TuningLog> {
    this.running = false;
    await this.done;
    this.pool.observeCalls(undefined);
    if (this.failure !== undefined) throw this.failure;
    await this.apply(this.controller.settings).catch(() => undefined);
    return this.log();
  }

  private async loop(sampleMs: number): Promise<void> {
    try {
      let command = this.controller.first();
      while (this.running) {
        await this.apply(command.settings);
        const figures = await this.epoch(command, sampleMs);
        if (!this.running) break;
        command = this.controller.next(figures);
      }
    } catch (error) {
      this.failure = error;
      this.running = false;
    }
  }

  private async apply(settings: LiveSettings): Promise<void> {
    const now = this.pool.settings();
    const changes: Partial<Record<LiveSetting, number>> = {};
    for (const key of LIVE_SETTINGS) if (now[key] !== settings[key]) changes[key] = settings[key];
    if (Object.keys(changes).length > 0) await this.pool.configure(changes, 'tuner');
  }

  /** Runs one epoch under the settings in force and measures it. */
  private epoch(command: EpochCommand, sampleMs: number): Promise<EpochFigures> {
    const histogram = createLatencyHistogram();
    let calls = 0;
    let errors = 0;
    let deadlineMisses = 0;
    this.pool.observeCalls((ms, error) => {
      calls++;
      histogram.recordValue(Math.max(1, Math.round(ms * 1e6)));
      if (error === undefined) return;
      if ((error as { code?: unknown }).code === 'ERR_DEADLINE_EXCEEDED') deadlineMisses++;
      else errors++;
    });
    const start = performance.now();
    const cpu = cpuUsage();
    const submitted = this.pool.load().submitted;
    let samples = 0;
    let idle = 0;
    let outstanding = 0;
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        samples++;
        const load = this.pool.load().outstanding;
        outstanding += load;
        if (load === 0) idle++;
        const elapsed = performance.now() - start;
        const enough = (calls >= command.minCalls && elapsed >= command.minMs) || elapsed >= command.minMs * MAX_EPOCH_FACTOR;
        if (!enough && this.running) return;
        clearInterval(timer);
        this.pool.observeCalls(undefined);
        const seconds = elapsed / 1000;
        const used = cpuUsage(cpu);
        const figures: EpochFigures = {
          arm: command.arm,
          calls,
          seconds,
          throughput: calls / seconds,
          arrivalRate: (this.pool.load().submitted - submitted) / seconds,
          p50Ms: histogram.getValueAtPercentile(50) / 1e6,
          p99Ms: histogram.getValueAtPercentile(99) / 1e6,
          cpuMicrosPerCall: (used.user + used.system) / Math.max(1, calls),
          errors,
          deadlineMisses,
          rssBytes: memoryUsage.rss(),
          idleShare: samples === 0 ? 0 : idle / samples,
          outstanding: samples === 0 ? 0 : outstanding / samples,
        };
        releaseHistogram(histogram);
        resolve(figures);
      }, sampleMs);
    });
  }
}

function pick(settings: LiveSettings): LiveSettings {
  return { threads: settings.threads, callerSpinMicros: settings.callerSpinMicros, workerSpin: settings.workerSpin, wakeBatch: settings.wakeBatch };
}

/** Starts tuning `pool` now; `stop()` ends it. */
export function startTuner(pool: WasmPool, options: TunerOptions): PoolTuner {
  return new PoolTuner(pool, options);
}
