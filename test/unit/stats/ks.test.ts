import { describe, expect, it } from 'vitest';
import { ksOneSampleSf } from '../../../core/stats/ks-distribution';
import { KS_EXACT_MAX_N, ksExactSf, ksTwoSample } from '../../../core/stats/ks';
import { expectRelClose, sample } from './reference';

const F = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('two-sample Kolmogorov–Smirnov test', () => {
  // [name, reference, current, scipy.stats.ks_2samp(reference, current) statistic, p-value, method]
  const cases: [string, Float64Array, Float64Array, number, number, 'exact' | 'asymptotic'][] = [
    ['small samples with ties', F([1, 2, 2, 3, 3, 3, 4, 5, 6, 6]), F([2, 3, 3, 4, 4, 4, 5, 7, 8, 9, 9, 10]), 0.4166666666666667, 0.23373839782508513, 'exact'],
    ['equal sizes 50/50 with ties', sample(50, 37, 101, 5, 0, 10), sample(50, 41, 103, 9, 0.25, 10), 0.2, 0.2719135601522248, 'exact'],
    ['300 vs 217, shifted (tiny p)', sample(300, 7919, 10007, 1), sample(217, 4801, 9973, 3, 0.35), 0.34291858678955456, 1.1666763221068674e-13, 'exact'],
    ['300 vs 217, nearly the same', sample(300, 7919, 10007, 1), sample(217, 4801, 9973, 3, 0.02), 0.0595852534562212, 0.7325936230424608, 'exact'],
    ['1000 vs 10000: still exact at the switch', sample(1000, 7919, 10007, 1), sample(10000, 4801, 9973, 3, 0.05), 0.0511, 0.016844731873660874, 'exact'],
    ['12000 vs 9000: asymptotic', sample(12000, 7919, 10007, 1), sample(9000, 4801, 9973, 3, 0.03), 0.03061111111111109, 0.00012751813892383968, 'asymptotic'],
    [
      '12000 vs 9000, nearly the same',
      sample(12000, 7919, 10007, 1),
      sample(9000, 4801, 9973, 3, 0.003),
      0.004111111111111121,
      0.9999928145204683,
      'asymptotic',
    ],
    [
      '20000 vs 15000 with ties',
      sample(20000, 7919, 10007, 1, 0, 100),
      sample(15000, 4801, 9973, 3, 0.01, 100),
      0.010149999999999992,
      0.33805853841571054,
      'asymptotic',
    ],
  ];

  it.each(cases)('%s: statistic and p-value match scipy (p within 1e-12 exact, 1e-10 asymptotic)', (_, a, b, d, p, method) => {
    const r = ksTwoSample(a, b);
    expect(r.method).toBe(method);
    expectRelClose(r.statistic, d, 1e-13);
    expectRelClose(r.pValue, p, method === 'exact' ? 1e-12 : 1e-10);
  });

  it('counts every tied value in both samples before comparing the ECDFs', () => {
    // scipy.stats.ks_2samp([1, 1, 2, 2], [1, 2]) and ks_2samp([1], [1, 1, 1]): identical ECDFs, D = 0, p = 1
    expect(ksTwoSample(F([1, 1, 2, 2]), F([1, 2]))).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(ksTwoSample(F([1]), F([1, 1, 1]))).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    // scipy.stats.ks_2samp([0, 1, 1, 2, 2, 2, 3], [1, 1, 1, 2, 4])
    const r = ksTwoSample(F([0, 1, 1, 2, 2, 2, 3]), F([1, 1, 1, 2, 4]));
    expectRelClose(r.statistic, 0.2, 1e-15);
    expectRelClose(r.pValue, 0.9974747474747474, 1e-14);
  });

  it('is symmetric in its two samples', () => {
    const a = sample(300, 7919, 10007, 1);
    const b = sample(217, 4801, 9973, 3, 0.35);
    expect(ksTwoSample(b, a)).toEqual(ksTwoSample(a, b));
  });

  it('gives the exact p-value of a tiny case that can be checked by enumeration', () => {
    // All C(7,3) = 35 orderings of 3 + 4 values are equally likely; count those with D ≥ 5/12 (the observed D).
    const a = F([0.1, 0.5, 0.9]);
    const b = F([0.2, 0.3, 0.4, 0.6]);
    let atLeast = 0;
    let total = 0;
    for (let mask = 0; mask < 1 << 7; mask++) {
      let ones = 0;
      for (let k = 0; k < 7; k++) ones += (mask >> k) & 1;
      if (ones !== 3) continue;
      total++;
      let i = 0;
      let j = 0;
      let gap = 0;
      for (let k = 0; k < 7; k++) {
        if ((mask >> k) & 1) i++;
        else j++;
        gap = Math.max(gap, Math.abs(i * 4 - j * 3));
      }
      if (gap >= 5) atLeast++;
    }
    const r = ksTwoSample(a, b);
    expect(r.statistic).toBeCloseTo(5 / 12, 15);
    expect(r.pValue).toBeCloseTo(atLeast / total, 14);
    // scipy.stats.ks_2samp([0.1, 0.5, 0.9], [0.2, 0.3, 0.4, 0.6]).pvalue
    expectRelClose(r.pValue, 0.8857142857142858, 1e-14);
  });

  it(`switches to the asymptotic p-value once a sample exceeds ${KS_EXACT_MAX_N} values`, () => {
    const a = F(Array.from({ length: 50 }, (_, i) => i / 50));
    const atSwitch = F(Array.from({ length: 10000 }, (_, i) => i / 10000 + 0.1));
    const past = F(Array.from({ length: 10001 }, (_, i) => i / 10001 + 0.1));
    const exact = ksTwoSample(a, atSwitch);
    const asymptotic = ksTwoSample(a, past);
    expect(exact.method).toBe('exact');
    expect(asymptotic.method).toBe('asymptotic');
    // scipy.stats.ks_2samp(np.arange(50)/50, np.arange(10000)/10000 + 0.1)
    expectRelClose(exact.pValue, 0.4371549370709008, 1e-12);
    // scipy.stats.ks_2samp(np.arange(50)/50, np.arange(10001)/10001 + 0.1) (auto → 'asymp')
    expectRelClose(asymptotic.statistic, 0.11998800119987996, 1e-13);
    expectRelClose(asymptotic.pValue, 0.43389266080756217, 1e-10);
  });

  it('keeps tiny exact p-values accurate', () => {
    // scipy.stats.ks_2samp(list(range(50)), [x + 0.5 for x in range(10000)])
    const r = ksTwoSample(F(Array.from({ length: 50 }, (_, i) => i)), F(Array.from({ length: 10000 }, (_, i) => i + 0.5)));
    expectRelClose(r.statistic, 0.9951, 1e-14);
    expectRelClose(r.pValue, 2.701775204484578e-107, 1e-10);
  });

  it('returns p = 1 for identical samples and rejects NaN or empty samples', () => {
    const a = sample(40, 37, 101, 5);
    expect(ksTwoSample(a, a.slice())).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(ksExactSf(10, 12, 0)).toBe(1);
    expect(() => ksTwoSample(F([1, NaN]), F([1, 2]))).toThrow(/reference sample contains NaN/);
    expect(() => ksTwoSample(F([1, 2]), F([]))).toThrow(/non-empty/);
  });
});

describe('one-sample two-sided KS distribution (the asymptotic path)', () => {
  it('matches scipy.stats.kstwo.sf in every region of the Simard–L’Ecuyer scheme to 1e-10', () => {
    // [n, d, scipy.stats.kstwo.sf(d, n)] // region used
    const table: [number, number, number][] = [
      [5, 0.06, 1], // n·d ≤ 0.5
      [5, 0.15, 0.9988], // Ruben–Gambino, n·d ≤ 1
      [300, 0.003, 1], // Ruben–Gambino, n·d ≤ 1
      [10, 0.91, 6.973568801999976e-11], // Ruben–Gambino, n·d ≥ n−1
      [60, 0.05, 0.9965119852877966], // Durbin (scipy: Durbin), n·d² ≤ 0.754693
      [60, 0.15, 0.12110534950589669], // Durbin (scipy: Pomeranz), 0.754693 < n·d² ≤ 4
      [37, 0.1, 0.8176553142175396], // Durbin, n ≤ 140
      [37, 0.2, 0.08979521784208933], // Durbin, n ≤ 140
      [100, 0.18, 0.0026300498454605607], // Durbin, n ≤ 140
      [140, 0.15, 0.0032495604415101703], // Durbin, n ≤ 140
      [100, 0.25, 5.408871776434847e-6], // 2·Smirnov, n ≤ 140, n·d² > 4
      [10, 0.55, 0.0022805103214843725], // 2·Smirnov, d ≥ 0.5
      [10, 0.86, 5.789601976320005e-9], // 2·Smirnov, d ≥ 0.5
      [141, 0.05, 0.854845693009663], // Pelz–Good
      [1000, 0.01, 0.9999496745370611], // Durbin, n·d^1.5 ≤ 1.4
      [1000, 0.02, 0.8108971656895577], // Pelz–Good
      [1000, 0.05, 0.013012074781090332], // 2·Smirnov, n·d² ≥ 2.2
      [20000, 0.005, 0.6974088406327613], // Pelz–Good
      [100000, 0.0012, 0.9987152228627266], // Pelz–Good
      [100000, 0.003, 0.3284563327726956], // Pelz–Good
      [100001, 0.0012, 0.9987151198007934], // Pelz–Good
      [500000, 0.001, 0.6989801443663661], // Pelz–Good
      [500000, 0.0025, 0.0038544560212235442], // 2·Smirnov, n·d² ≥ 2.2
      [200, 0.2, 1.7317874617308334e-7], // 2·Smirnov, n·d² ≥ 2.2
      [1000, 0.7, 0], // 2·Smirnov, d ≥ 0.5 (underflows)
      [10000, 0.2, 0], // n·d² ≥ 370
    ];
    for (const [n, d, want] of table) {
      const got = ksOneSampleSf(n, d);
      expect(Math.abs(got - want), `kstwo.sf(${d}, ${n}) = ${want}, got ${got}`).toBeLessThanOrEqual(1e-10 * want + (want === 0 ? 1e-300 : 0));
    }
  });

  it('rejects a non-integer sample size', () => {
    expect(() => ksOneSampleSf(10.5, 0.1)).toThrow(/positive integer/);
  });
});
