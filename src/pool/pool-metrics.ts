/**
 * What the pool knows of its calls' metrics, gathered from many workers: each live worker's
 * reply to a profile request, the last words of workers that ended (idle, or stopped by close),
 * merged as they come so that they stay bounded, and the queue wait of every call, measured in
 * the caller's thread. A worker is counted once even when it ends while a profile is gathered.
 */
import type { GuestModule } from '../host/guest-module.js';
import { CallRecorder } from '../profiler/build/call-recorder.js';
import type { LatencySummary } from '../profiler/build/latency-histogram.js';
import { mergeModuleProfiles, type ModuleProfile } from '../profiler/model/module-profile.js';
import type { WorkerLink } from './worker-link.js';

/** One worker's profile, per module index (undefined where it never ran the module). */
export type WorkerParts = readonly (ModuleProfile | undefined)[];

/** A worker's profile reply, and which of its link's workers sent it. */
export interface ProfileReply {
  readonly generation: number;
  readonly parts: WorkerParts;
}

export class PoolMetrics {
  /** Last words of workers that ended, per module, merged. */
  private readonly retired: (ModuleProfile | undefined)[] = [];
  /** Per link: the latest worker generation whose last words arrived. */
  private readonly retiredGeneration = new Map<WorkerLink, number>();
  private readonly queueWait: CallRecorder[];
  /** Per link: the latest profile reply, kept so that a worker that crashes still counts what it reported. */
  private readonly lastReply = new Map<WorkerLink, ProfileReply>();

  constructor(
    private readonly ids: readonly string[],
    private readonly modules: readonly GuestModule[],
  ) {
    this.queueWait = ids.map((id) => new CallRecorder(`${id} queue wait`, { mode: 'every', thresholdNs: 1, sampleInterval: 1, warmup: 1 }));
  }

  /** A call of `module` waited `ms` between the caller and its worker starting it. */
  waited(module: number, ms: number): void {
    this.queueWait[module]?.timed(0, Math.max(0, ms));
  }

  /** A worker's last words: what it measured, kept after it ends. */
  retire(link: WorkerLink, parts: WorkerParts): void {
    this.fold(parts);
    this.retiredGeneration.set(link, link.generation);
  }

  private fold(parts: WorkerParts): void {
    parts.forEach((part, i) => {
      if (part === undefined || part.instances === 0) return;
      const kept = this.retired[i];
      this.retired[i] = kept === undefined ? part : mergeModuleProfiles([kept, part]);
    });
  }

  /** A worker's reply to a profile request, stamped with which of its link's workers sent it. */
  reply(link: WorkerLink, parts: WorkerParts): ProfileReply {
    return { generation: link.generation, parts };
  }

  /** Per-module profiles: the replies (one per link, or undefined), the last words, and the caller's own view of each module. */
  merge(links: readonly WorkerLink[], replies: readonly (ProfileReply | undefined)[]): { modules: Record<string, ModuleProfile>; queueWait: Record<string, LatencySummary> } {
    // A worker that crashed left no last words: what it reported last is kept instead, so
    // counters never go back (only its calls since that reply are lost).
    links.forEach((link, i) => {
      const last = this.lastReply.get(link);
      if (last !== undefined && last.generation < link.generation && last.generation > (this.retiredGeneration.get(link) ?? -1)) {
        this.fold(last.parts);
        this.retiredGeneration.set(link, last.generation);
      }
      const reply = replies[i];
      if (reply !== undefined) this.lastReply.set(link, reply);
    });
    // A worker that ended after it replied sent the same metrics again as its last words.
    const live = replies.map((reply, i) => (reply === undefined || reply.generation <= (this.retiredGeneration.get(links[i]!) ?? 0) ? [] : reply.parts));
    const modules: Record<string, ModuleProfile> = {};
    const queueWait: Record<string, LatencySummary> = {};
    this.ids.forEach((id, i) => {
      const parts = [...live, this.retired].map((r) => r[i]).filter((p): p is ModuleProfile => p !== undefined && p.instances > 0);
      const local = this.modules[i]!.profile();
      modules[id] = parts.length === 0 ? local : { ...mergeModuleProfiles(parts), cache: local.cache, coldStart: local.coldStart };
      queueWait[id] = this.queueWait[i]!.snapshot().latency;
    });
    return { modules, queueWait };
  }
}
