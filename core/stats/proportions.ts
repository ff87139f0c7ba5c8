// Two-proportion z-test with the pooled standard error, two-sided
// (statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2])).
import { erfc } from './special';

export interface ZTestResult {
  /** z = (x1/n1 − x2/n2) / √(p̂(1−p̂)(1/n1 + 1/n2)), p̂ = (x1+x2)/(n1+n2). */
  statistic: number;
  pValue: number;
}

export function twoProportionZTest(successes1: number, n1: number, successes2: number, n2: number): ZTestResult {
  if (!(n1 > 0 && n2 > 0)) throw new Error(`two-proportion z-test: sample sizes must be > 0, got ${n1} and ${n2}`);
  if (!(successes1 >= 0 && successes1 <= n1 && successes2 >= 0 && successes2 <= n2)) {
    throw new Error(`two-proportion z-test: successes must lie in [0, n], got ${successes1}/${n1} and ${successes2}/${n2}`);
  }
  const pooled = (successes1 + successes2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Both samples all successes or all failures: identical proportions, nothing to test.
  if (se === 0) return { statistic: 0, pValue: 1 };
  const statistic = (successes1 / n1 - successes2 / n2) / se;
  return { statistic, pValue: Math.min(1, erfc(Math.abs(statistic) / Math.SQRT2)) };
}
