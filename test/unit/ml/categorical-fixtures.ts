// Seeded rows with a 40-category column whose effect is a partition of its categories (20 raise the odds,
// 20 lower them), a numeric column, and a 6-category column with missing values that carry a signal of their
// own. Test rows add categories training never saw, nulls and "".
import type { FeatureColumn } from '../../../core/features/encode';
import { normalFrom, seededRandom } from '../../../core/random';

export const SHOPS = Array.from({ length: 40 }, (_, i) => `shop${String(i).padStart(2, '0')}`);
/** The shops that raise the odds: a seeded half of them, not a contiguous range of any ordering. */
export const GOOD_SHOPS = new Set(
  (() => {
    const random = seededRandom(99);
    const shuffled = [...SHOPS];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    return shuffled.slice(0, 20);
  })(),
);
const TIERS = ['a', 'b', 'c', 'd', 'e', 'f'];

export interface CategoricalData {
  columns: FeatureColumn[];
  labels: Int32Array;
  trainIdx: Int32Array;
  testIdx: Int32Array;
}

/** With `odd` (default), test rows also get unseen and missing categories. */
export function categoricalData(n: number, train: number, seed = 5, odd = true): CategoricalData {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const shop: (string | null)[] = [];
  const tier: (string | null)[] = [];
  const amount = new Float64Array(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = SHOPS[Math.floor(random() * SHOPS.length)]!;
    const t = random() < 0.1 ? null : TIERS[Math.floor(random() * TIERS.length)]!;
    const x = normal();
    const logit = (GOOD_SHOPS.has(s) ? 1.5 : -1.5) + (t === null ? 1 : t === 'b' || t === 'e' ? 0.5 : -0.2) + 0.5 * x;
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    shop.push(s);
    tier.push(t);
    amount[i] = x;
    if (odd && i >= train) {
      const k = i % 7;
      if (k === 0) shop[i] = 'brand-new-shop';
      if (k === 1) shop[i] = null;
      if (k === 2) tier[i] = '';
      if (k === 3) tier[i] = 'unheard-of';
    }
  }
  return {
    columns: [
      { name: 'shop', kind: 'categorical', values: shop },
      { name: 'amount', kind: 'numeric', values: amount },
      { name: 'tier', kind: 'categorical', values: tier },
    ],
    labels,
    trainIdx: Int32Array.from({ length: train }, (_, i) => i),
    testIdx: Int32Array.from({ length: n - train }, (_, i) => train + i),
  };
}
