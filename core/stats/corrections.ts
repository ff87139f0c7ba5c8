// Multiple-testing corrections of p-values across the columns of one drift check.

export type Correction = 'none' | 'bonferroni' | 'bh';

export const CORRECTIONS: readonly Correction[] = ['none', 'bonferroni', 'bh'];

/**
 * Adjusted p-values in input order: 'bonferroni' min(1, p·m); 'bh' Benjamini–Hochberg step-up
 * min over j ≥ rank of p_(j)·m/j, capped at 1 (statsmodels multipletests(method='fdr_bh')).
 */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  const m = pValues.length;
  for (const [i, p] of pValues.entries()) {
    if (!(p >= 0 && p <= 1)) throw new Error(`p-value ${i} is ${p}; p-values must lie in [0, 1]`);
  }
  switch (correction) {
    case 'none':
      return [...pValues];
    case 'bonferroni':
      return pValues.map((p) => Math.min(1, p * m));
    case 'bh': {
      const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
      const adjusted = new Array<number>(m);
      let running = 1;
      for (let rank = m; rank >= 1; rank--) {
        const i = order[rank - 1]!;
        running = Math.min(running, (pValues[i]! * m) / rank);
        adjusted[i] = running;
      }
      return adjusted;
    }
    default:
      throw new Error(`unknown correction ${JSON.stringify(correction)}; use one of ${CORRECTIONS.join(', ')}`);
  }
}
