/**
 * The modules a host loaded, for fleet metrics, held weakly: a host that loads a module per
 * request must not keep them all alive. Each module's export recorders are kept in a tally
 * apart from the module (they do not point back at it); when the module object is collected,
 * its tally's counts join the retired totals of its module id, so counters never go down and a
 * module loaded, called and dropped between two scrapes is still counted.
 *
 * A collected module keeps its exports' counts and histograms; its instance count and memory
 * peak are those of the last scrape that saw it (they live on the module object).
 */
import type { CallRecorder } from '../profiler/build/call-recorder.js';
import { mergeModuleProfiles, MODULE_PROFILE_SCHEMA, type CacheProfile, type ModuleProfile } from '../profiler/model/module-profile.js';
import type { GuestModule } from './guest-module.js';

interface Tally {
  readonly id: string;
  readonly label: string;
  readonly sizeBytes: number;
  readonly recorders: CallRecorder[];
  /** The module's profile at the latest scrape. */
  last: ModuleProfile | undefined;
}

interface Tracked {
  readonly ref: WeakRef<GuestModule>;
  readonly tally: Tally;
}

export class LoadedModules {
  private tracked: Tracked[] = [];
  private sweepAt = 1024;
  /** Merged profiles of collected module objects, by module id. */
  private readonly retired = new Map<string, ModuleProfile>();
  private readonly collected = new FinalizationRegistry<Tally>((tally) => this.retire(tally));

  constructor(private readonly cache: () => CacheProfile) {}

  /** A tally for a module about to be made: pass `recorderMade` to it, then `track` the module. */
  tally(id: string, label: string, sizeBytes: number): { readonly tally: Tally; readonly recorderMade: (recorder: CallRecorder) => void } {
    const tally: Tally = { id, label, sizeBytes, recorders: [], last: undefined };
    return { tally, recorderMade: (recorder) => tally.recorders.push(recorder) };
  }

  track(module: GuestModule, tally: Tally): void {
    this.tracked.push({ ref: new WeakRef(module), tally });
    this.collected.register(module, tally);
    // Dead entries are dropped now and then, so the list stays as long as the live modules.
    if (this.tracked.length >= this.sweepAt) {
      this.tracked = this.tracked.filter((entry) => entry.ref.deref() !== undefined);
      this.sweepAt = Math.max(1024, this.tracked.length * 2);
    }
  }

  /** One profile per module id: live module objects and retired ones, merged. */
  profiles(): ModuleProfile[] {
    const byId = new Map<string, ModuleProfile[]>();
    for (const [id, profile] of this.retired) byId.set(id, [profile]);
    for (const entry of this.tracked) {
      const module = entry.ref.deref();
      if (module === undefined) continue;
      entry.tally.last = module.profile();
      const parts = byId.get(module.id);
      if (parts === undefined) byId.set(module.id, [entry.tally.last]);
      else parts.push(entry.tally.last);
    }
    return [...byId.values()].map((parts) => (parts.length === 1 ? parts[0]! : mergeModuleProfiles(parts)));
  }

  private retire(tally: Tally): void {
    const exports = tally.recorders.filter((r) => r.calls > 0).map((r) => r.snapshot());
    if (exports.length === 0) return;
    const profile: ModuleProfile = { ...(tally.last ?? this.skeleton(tally)), exports };
    const earlier = this.retired.get(tally.id);
    this.retired.set(tally.id, earlier === undefined ? profile : mergeModuleProfiles([earlier, profile]));
  }

  /** What is known of a module never scraped, beside its exports. */
  private skeleton(tally: Tally): ModuleProfile {
    return {
      schema: MODULE_PROFILE_SCHEMA,
      module: { id: tally.id, label: tally.label, sizeBytes: tally.sizeBytes },
      instances: 0,
      coldStart: { readMs: 0, hashMs: 0, cache: 'hit', compileMs: 0, instantiateMs: undefined, firstCallMs: undefined, firstCallExport: undefined },
      memory: { limitPages: 0, declaredInitialPages: undefined, declaredMaximumPages: undefined, capped: false, peakBytes: 0 },
      cache: this.cache(),
      exports: [],
    };
  }
}
