/**
 * Allocation sites as call paths, interned: a site is a node in a trie of frame ids, so the
 * hot path names a site by one number (found with one map lookup per call entry) and the full
 * stack is spelled out only when a report is taken. Site 0 is the empty path (the host).
 */
import type { FrameIdentity } from '../model/call-tree.js';

export class StackTrie {
  private readonly parents: number[] = [-1];
  private readonly frames: number[] = [-1];
  private readonly children = new Map<number, number>();

  /** The site `frameId` called from `parent` (a new id the first time). */
  child(parent: number, frameId: number): number {
    // Frame ids are small (profile ids); parents fit in 2^31: one numeric key.
    const key = parent * 1_048_576 + frameId;
    let id = this.children.get(key);
    if (id === undefined) {
      id = this.parents.length;
      this.parents.push(parent);
      this.frames.push(frameId);
      this.children.set(key, id);
    }
    return id;
  }

  parent(site: number): number {
    return this.parents[site] ?? -1;
  }

  /** Frame ids of `site`, outermost first. */
  path(site: number): number[] {
    const ids: number[] = [];
    for (let at = site; at > 0; at = this.parents[at]!) ids.push(this.frames[at]!);
    return ids.reverse();
  }

  stack(site: number, frame: (id: number) => FrameIdentity): FrameIdentity[] {
    return this.path(site).map(frame);
  }

  get size(): number {
    return this.parents.length;
  }
}
