import * as ss from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { chiSquaredSf, erf, erfc, kolmogorovSf, logGamma, normalCdf, normalQuantile, normalSf } from '../../../core/stats/special';

// Which special functions simple-statistics 7.12 can supply with the precision the p-values need: each is
// checked against scipy 1.17.1 beside ours. Reference values: scripts/reference/special_vs_simple_statistics.py.
// Where simple-statistics falls short its error is asserted too, so the comparison stays true when it changes.

const rel = (got: number, want: number): number => (want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want));
const worst = (table: number[][], f: (...x: number[]) => number): number => Math.max(...table.map((r) => rel(f(...r.slice(0, -1)), r[r.length - 1]!)));

describe('special functions: ours, simple-statistics and scipy', () => {
  it('log-gamma: simple-statistics is as precise as scipy from 0.1 up (and is used there), loses digits near 0', () => {
    // [x, scipy.special.gammaln(x)]
    const table = [
      [1e-8, 18.42068073818021],
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [1, 0.0],
      [1.5, -0.12078223763524526],
      [2, 0.0],
      [2.5, 0.2846828704729192],
      [3.7, 1.428072326665388],
      [14.9, 24.924132002217277],
      [100, 359.1342053695754],
      [1234.5, 7550.550901077894],
      [1000000.0, 12815504.569147611],
    ];
    const absolute = (got: number, want: number): number => Math.abs(got - want) / Math.max(1, Math.abs(want));
    for (const [x, want] of table as [number, number][]) {
      expect(absolute(logGamma(x), want), `logGamma(${x})`).toBeLessThanOrEqual(2e-15);
      if (x >= 0.1) expect(absolute(ss.gammaln(x), want), `gammaln(${x})`).toBeLessThanOrEqual(2e-15);
    }
    expect(rel(ss.gammaln(1e-8), table[0]![1]!)).toBeGreaterThan(1e-10);
  });

  it('erf and erfc: simple-statistics is a 1e-7 approximation whose upper tail is lost from x = 5 on', () => {
    // [x, scipy.special.erf(x)] and [x, scipy.special.erfc(x)]
    const erfTable = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497148],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
    ];
    const erfcTable = [
      [1, 0.15729920705028516],
      [2, 0.004677734981047266],
      [3, 2.2090496998585445e-5],
      [4, 1.541725790028002e-8],
      [5, 1.5374597944280347e-12],
      [6, 2.1519736712498913e-17],
    ];
    expect(worst(erfTable, erf)).toBeLessThanOrEqual(1e-15);
    expect(worst(erfcTable, erfc)).toBeLessThanOrEqual(2e-15);
    expect(worst(erfTable, ss.errorFunction)).toBeGreaterThan(1e-7);
    expect(rel(1 - ss.errorFunction(5), 1.5374597944280347e-12)).toBeGreaterThan(1e-5);
    expect(rel(1 - ss.errorFunction(6), 2.1519736712498913e-17)).toBeGreaterThan(0.5);
  });

  it('normal CDF and tail: simple-statistics reads a 4-digit table, 30 times off at z = 4', () => {
    // [z, scipy.stats.norm.cdf(z)] and [z, scipy.stats.norm.sf(z)]
    const cdf = [
      [-6, 9.865876450376946e-10],
      [-4, 3.167124183311986e-5],
      [-2.5, 0.006209665325776132],
      [-1, 0.15865525393145707],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1.96, 0.9750021048517795],
      [3, 0.9986501019683699],
    ];
    const sf = [
      [2, 0.022750131948179195],
      [3, 0.0013498980316300933],
      [4, 3.167124183311986e-5],
      [5, 2.866515718791933e-7],
      [6, 9.865876450376946e-10],
      [8, 6.22096057427174e-16],
    ];
    expect(worst(cdf, normalCdf)).toBeLessThanOrEqual(1e-14);
    expect(worst(sf, normalSf)).toBeLessThanOrEqual(2e-14);
    expect(rel(1 - ss.cumulativeStdNormalProbability(4), 3.167124183311986e-5)).toBeGreaterThan(20);
    expect(rel(ss.cumulativeStdNormalProbability(-4), 3.167124183311986e-5)).toBeGreaterThan(20);
    // Built from its erf instead, the CDF is still only good to about 1e-7.
    expect(worst(cdf, (z) => 0.5 * (1 + ss.errorFunction(z / Math.SQRT2)))).toBeGreaterThan(1e-7);
  });

  it('normal quantile: simple-statistics’ probit is a 1e-3 approximation', () => {
    // [p, scipy.stats.norm.ppf(p)]
    const table = [
      [1e-10, -6.361340902404056],
      [1e-6, -4.753424308822899],
      [0.001, -3.090232306167813],
      [0.025, -1.9599639845400545],
      [0.2, -0.8416212335729142],
      [0.5, 0.0],
      [0.8, 0.8416212335729143],
      [0.975, 1.959963984540054],
      [0.999999, 4.753424308817087],
    ];
    expect(worst(table, normalQuantile)).toBeLessThanOrEqual(1e-15);
    expect(worst(table, ss.probit)).toBeGreaterThan(1e-3);
  });

  it('Kolmogorov distribution and chi-squared tail: simple-statistics has neither (a table of critical values at best)', () => {
    // [λ, scipy.special.kolmogorov(λ)] and [x, df, scipy.stats.chi2.sf(x, df)]
    const kolmogorov = [
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.8, 0.5441424115741981],
      [1, 0.26999967167735456],
      [1.36, 0.049485876755377876],
      [1.63, 0.009846364888486529],
      [2, 0.0006709252557796953],
      [3, 3.045995948942526e-8],
    ];
    const chi2 = [
      [3.84, 1, 0.05004352124870519],
      [10, 3, 0.01856613546304325],
      [30, 10, 0.000856641210775301],
      [100, 50, 3.454931382984871e-5],
      [200, 99, 8.19391189142209e-9],
      [1, 5, 0.9625657732472964],
    ];
    expect(worst(kolmogorov, kolmogorovSf)).toBeLessThanOrEqual(1e-15);
    expect(worst(chi2, chiSquaredSf)).toBeLessThanOrEqual(1e-13);
    expect(Object.keys(ss).filter((k) => /kolmogorov|smirnov|gammainc|incompleteGamma/i.test(k))).toEqual([]);
    // [df, p, scipy.stats.chi2.isf(p, df)]: its table rounds the critical values to two decimals.
    const critical = [
      [1, 0.05, 3.8414588206941285],
      [1, 0.01, 6.634896601021217],
      [10, 0.05, 18.30703805327515],
      [30, 0.01, 50.892181311517085],
    ] as [number, number, number][];
    for (const [df, p, want] of critical) {
      const tabulated = (ss.chiSquaredDistributionTable as unknown as Record<number, Record<number, number>>)[df]![p]!;
      expect(Math.abs(tabulated - want)).toBeLessThan(0.006);
      expect(rel(chiSquaredSf(want, df), p)).toBeLessThanOrEqual(1e-12);
    }
  });
});
