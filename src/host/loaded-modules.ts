/**
 * The modules a host loaded, for fleet metrics: held weakly, so a host that loads a module per
 * request does not keep them all alive. Each scrape keeps the profile it read of every live
 * module; when a module object has been collected, that last profile joins the retired totals,
 * so counters never go down (what a collected module did after the previous scrape is the only
 * thing that can be missed, and it could only have run before the module became unreachable).
 */
import { mergeModuleProfiles, type ModuleProfile } from '../profiler/model/module-profile.js';
import type { GuestModule } from './guest-module.js';

interface Tracked {
  readonly ref: WeakRef<GuestModule>;
  last: ModuleProfile | undefined;
}

export class LoadedModules {
  private tracked: Tracked[] = [];
  /** Merged profiles of collected module objects, by module id. */
  private readonly retired = new Map<string, ModuleProfile>();

  add(module: GuestModule): void {
    this.tracked.push({ ref: new WeakRef(module), last: undefined });
    // Sweep now and then so a host loading a module per request keeps a bounded list.
    if (this.tracked.length % 1024 === 0) this.sweep();
  }

  /** One profile per module id: live module objects and retired ones, merged. */
  profiles(): ModuleProfile[] {
    this.sweep();
    const byId = new Map<string, ModuleProfile[]>();
    for (const [id, profile] of this.retired) byId.set(id, [profile]);
    for (const entry of this.tracked) {
      const module = entry.ref.deref();
      if (module === undefined) continue;
      entry.last = module.profile();
      const parts = byId.get(module.id);
      if (parts === undefined) byId.set(module.id, [entry.last]);
      else parts.push(entry.last);
    }
    return [...byId.values()].map((parts) => (parts.length === 1 ? parts[0]! : mergeModuleProfiles(parts)));
  }

  private sweep(): void {
    const kept: Tracked[] = [];
    for (const entry of this.tracked) {
      if (entry.ref.deref() !== undefined) kept.push(entry);
      else if (entry.last !== undefined && entry.last.exports.length > 0) {
        const earlier = this.retired.get(entry.last.module.id);
        this.retired.set(entry.last.module.id, earlier === undefined ? entry.last : mergeModuleProfiles([earlier, entry.last]));
      }
    }
    this.tracked = kept;
  }
}
