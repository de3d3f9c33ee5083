/**
 * Labels for views that show frames by name only (folded stacks, terminal tables): function
 * names are guest text and repeat, so where two functions would read the same, each label
 * says which function it is.
 */
import { frameKey, type FrameIdentity } from '../model/call-tree.js';

/**
 * One label per frame identity, distinct whenever the identities are. A label only one frame
 * has is kept as it is; guest functions sharing a label (or having an empty one) gain
 * ` (func[N])`; should that still meet another frame's label, primes are added until it does
 * not. Frames are taken in index order, so the labels do not depend on the tree's order.
 */
export function distinctLabels(frames: Iterable<FrameIdentity>, label: (name: string) => string = (n) => n): Map<string, string> {
  const byKey = new Map<string, FrameIdentity>();
  for (const frame of frames) if (!byKey.has(frameKey(frame))) byKey.set(frameKey(frame), frame);
  const sharing = new Map<string, number>();
  for (const frame of byKey.values()) sharing.set(label(frame.name), (sharing.get(label(frame.name)) ?? 0) + 1);
  const out = new Map<string, string>();
  const taken = new Set<string>();
  const rest: [string, FrameIdentity][] = [];
  for (const [key, frame] of byKey) {
    const plain = label(frame.name);
    if (sharing.get(plain) === 1 && (plain !== '' || frame.functionIndex === undefined)) {
      out.set(key, plain);
      taken.add(plain);
    } else rest.push([key, frame]);
  }
  rest.sort(([ka, a], [kb, b]) => (a.functionIndex ?? -1) - (b.functionIndex ?? -1) || (ka < kb ? -1 : 1));
  for (const [key, frame] of rest) {
    const plain = label(frame.name);
    let candidate = frame.functionIndex === undefined ? plain : plain === '' ? `(func[${frame.functionIndex}])` : `${plain} (func[${frame.functionIndex}])`;
    while (taken.has(candidate)) candidate += "'";
    out.set(key, candidate);
    taken.add(candidate);
  }
  return out;
}
