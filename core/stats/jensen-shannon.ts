// Jensen–Shannon distance between two discrete distributions: √JSD with base-2 logarithms, so it lies
// in [0, 1] (0 identical, 1 disjoint supports). scipy.spatial.distance.jensenshannon defaults to base e
// (range [0, √ln 2] ≈ [0, 0.833]) and so does Evidently: a base-e distance equals this one × √(ln 2).
// The drift threshold 0.1 applied here, in base 2, is therefore slightly stricter than Evidently's.

/** Jensen–Shannon distance, base 2, of two count or probability vectors (each normalised to sum 1). */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const k = p.length;
  if (q.length !== k) throw new Error(`Jensen-Shannon: vectors of different lengths ${k} and ${q.length}`);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < k; i++) {
    if (!(p[i]! >= 0 && q[i]! >= 0)) throw new Error(`Jensen-Shannon: negative or NaN weight at index ${i}`);
    sp += p[i]!;
    sq += q[i]!;
  }
  if (!(sp > 0 && sq > 0)) throw new Error('Jensen-Shannon: both distributions need positive total weight');
  let divergence = 0;
  for (let i = 0; i < k; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / m);
    if (b > 0) divergence += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, divergence / (2 * Math.LN2)));
}
