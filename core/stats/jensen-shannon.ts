// Jensen–Shannon distance between two discrete distributions: √JSD. The logarithm's base sets the scale:
// base e (scipy.spatial.distance.jensenshannon's default, and Evidently's) gives a distance in [0, √ln 2]
// ≈ [0, 0.833]; base 2 gives [0, 1]. base-2 distance = base-e distance / √(ln 2) ≈ × 1.2011.
// The drift default is base e, because the 0.1 threshold `auto` applies comes from Evidently, which
// measures in base e: in base 2 the same threshold would flag shifts 1.2011× smaller.

export type JensenShannonBase = 'e' | '2';
export const JENSEN_SHANNON_BASES = ['e', '2'] as const satisfies readonly JensenShannonBase[];
export const DEFAULT_JENSEN_SHANNON_BASE: JensenShannonBase = 'e';

/** Jensen–Shannon distance of two count or probability vectors (each normalised to sum 1). */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base: JensenShannonBase = DEFAULT_JENSEN_SHANNON_BASE): number {
  if (!JENSEN_SHANNON_BASES.includes(base)) throw new Error(`Jensen-Shannon: base must be "e" or "2", got ${JSON.stringify(base)}`);
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
  const logBase = base === '2' ? Math.LN2 : 1;
  return Math.sqrt(Math.max(0, divergence / (2 * logBase)));
}
