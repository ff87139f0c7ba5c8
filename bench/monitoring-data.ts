// Seeded samples for the domain-classifier tests and the false-alarm benchmark: 6 numeric columns (normal)
// and 2 categorical ones; `shift` moves every numeric mean by that many standard deviations.
import { normalFrom, seededRandom } from '../core/random';
import type { DriftColumn } from '../core/stats/drift';

const PLANS = ['basic', 'standard', 'premium', 'enterprise'];
const REGIONS = ['north', 'south', 'east', 'west', 'central'];

interface Sample {
  numeric: Float64Array[];
  plan: (string | null)[];
  region: (string | null)[];
}

function draw(rows: number, seed: number, shift: number, spread = 1): Sample {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const numeric = Array.from({ length: 6 }, () => Float64Array.from({ length: rows }, () => shift + spread * normal()));
  const pick = <T>(xs: T[], w: number[]): T => {
    let u = random() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < xs.length; i++) if ((u -= w[i]!) < 0) return xs[i]!;
    return xs[xs.length - 1]!;
  };
  return {
    numeric,
    plan: Array.from({ length: rows }, () => pick(PLANS, [4, 3, 2, 1])),
    region: Array.from({ length: rows }, () => pick(REGIONS, [1, 1, 1, 1, 1])),
  };
}

export function domainColumns(opts: { reference: number; current: number; seed: number; shift?: number; spread?: number }): DriftColumn[] {
  const r = draw(opts.reference, opts.seed * 2 + 1, 0);
  const c = draw(opts.current, opts.seed * 2 + 2, opts.shift ?? 0, opts.spread ?? 1);
  return [
    ...r.numeric.map((values, k): DriftColumn => ({ name: `x${k}`, kind: 'numeric', reference: values, current: c.numeric[k]! })),
    { name: 'plan', kind: 'categorical', reference: r.plan, current: c.plan },
    { name: 'region', kind: 'categorical', reference: r.region, current: c.region },
  ];
}
