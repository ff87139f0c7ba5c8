// Isotonic calibration (pool-adjacent-violators) of a binary classifier's probabilities, fitted at training
// time on the test split's predictions and labels and stored with the version. CBPE needs calibrated
// probabilities: a row predicted 0.8 must be positive 80% of the time, or the expected confusion matrix is
// off by the miscalibration. The map is a step function: knots (ascending scores) and calibrated values.

export interface IsotonicMap {
  /** Upper score of each block, ascending. */
  x: number[];
  /** Calibrated probability of each block, non-decreasing. */
  y: number[];
}

/** Fits P(y = 1 | score) as a non-decreasing step function of the score. */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): IsotonicMap {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`isotonic calibration: ${n} scores but ${labels.length} labels`);
  if (n === 0) throw new Error('isotonic calibration: no rows to fit on');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Equal scores form one block first (ties must share one value), then PAV merges neighbours out of order.
  const unique: { sum: number; weight: number; upper: number }[] = [];
  for (const i of order) {
    const last = unique[unique.length - 1];
    if (last && last.upper === scores[i]!) {
      last.sum += labels[i]!;
      last.weight++;
    } else unique.push({ sum: labels[i]!, weight: 1, upper: scores[i]! });
  }
  const blocks: typeof unique = [];
  for (const u of unique) {
    blocks.push({ ...u });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sum / a.weight < b.sum / b.weight) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, weight: a.weight + b.weight, upper: b.upper });
    }
  }
  return { x: blocks.map((b) => b.upper), y: blocks.map((b) => b.sum / b.weight) };
}

/** The calibrated probability of `score`: the value of the first block whose upper score is ≥ it. */
export function calibrate(map: IsotonicMap, score: number): number {
  let lo = 0;
  let hi = map.x.length - 1;
  if (score >= map.x[hi]!) return map.y[hi]!;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map.x[mid]! >= score) hi = mid;
    else lo = mid + 1;
  }
  return map.y[lo]!;
}
