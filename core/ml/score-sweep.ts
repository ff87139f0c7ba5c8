// One walk down the distinct scores of a binary problem, the step shared by ROC-AUC, average precision and
// the cost-based threshold choice. Positives' and negatives' scores are sorted apart (typed-array sort, no
// comparator: ~10× faster than sorting an index array) and merged from the top, so tied scores move the
// true- and false-positive counts together, the way sklearn's curves treat ties.

export interface SweepCounts {
  positives: number;
  negatives: number;
}

/**
 * Calls `visit(score, tp, fp)` for each distinct score, highest first, with the positives (tp) and negatives
 * (fp) among the rows scored ≥ it. Labels must be 0/1 and scores not NaN (the caller checks).
 */
export function sweepScores(labels: Int32Array, scores: Float64Array, visit: (score: number, tp: number, fp: number) => void): SweepCounts {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  const negatives = labels.length - positives;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos[a++] = scores[i]!;
    else neg[b++] = scores[i]!;
  }
  pos.sort();
  neg.sort();
  let i = positives - 1;
  let j = negatives - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const v = j < 0 || (i >= 0 && pos[i]! >= neg[j]!) ? pos[i]! : neg[j]!;
    while (i >= 0 && pos[i] === v) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      fp++;
      j--;
    }
    visit(v, tp, fp);
  }
  return { positives, negatives };
}
