/**
 * Holm–Bonferroni: adjusts the p-values of m tests so that rejecting every adjusted p < α keeps
 * the chance of any false "significant" at α (family-wise), uniformly more powerful than plain
 * Bonferroni. Adjusted p_(i) = max over j ≤ i of min(1, (m − j + 1)·p_(j)), in ascending order.
 */
export function holmBonferroni(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
