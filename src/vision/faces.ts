/**
 * Face descriptor comparison. human's faceres descriptors are compared by cosine similarity; the
 * threshold below was calibrated on real faces in ../shared/data (see docs/eval-task.md).
 */

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Best similarity of any probe face to any enrolled descriptor. */
export function bestMatch(probes: readonly (readonly number[])[], enrolled: readonly (readonly number[])[]): number {
  let best = -1;
  for (const p of probes) for (const e of enrolled) best = Math.max(best, cosineSimilarity(p, e));
  return best;
}
