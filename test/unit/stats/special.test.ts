import { describe, expect, it } from 'vitest';
import {
  chiSquaredSf,
  erf,
  erfc,
  kolmogorovSf,
  logGamma,
  normalCdf,
  normalSf,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
} from '../../../core/stats/special';
import { expectRelClose } from './reference';

describe('special functions against scipy.special', () => {
  it('log-gamma matches scipy.special.gammaln to 1e-14 (absolute near its zeros at 1 and 2)', () => {
    // scipy.special.gammaln(x)
    const table: [number, number][] = [
      [1e-300, 690.7755278982137],
      [1e-8, 18.42068073818021],
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [1, 0],
      [1.5, -0.12078223763524526],
      [2, 0],
      [2.5, 0.2846828704729192],
      [3.7, 1.428072326665388],
      [7.2, 6.95684807988834],
      [14.9, 24.924132002217277],
      [15, 25.191221182738683],
      [20.5, 40.8315009745308],
      [100, 359.1342053695754],
      [1234.5, 7550.550901077894],
      [1e6, 12815504.569147611],
    ];
    for (const [x, want] of table) {
      expect(Math.abs(logGamma(x) - want), `logGamma(${x})`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(want)));
    }
    expect(logGamma(0)).toBe(Infinity);
    expect(logGamma(-1)).toBeNaN();
  });

  it('regularized incomplete gamma P and Q match scipy.special.gammainc / gammaincc to 1e-12', () => {
    // [a, x, scipy.special.gammainc(a, x), scipy.special.gammaincc(a, x)]
    const table: [number, number, number, number][] = [
      [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
      [0.5, 2, 0.9544997361036415, 0.04550026389635857],
      [1, 1, 0.6321205588285577, 0.36787944117144245],
      [2.5, 1, 0.15085496391539038, 0.8491450360846096],
      [2.5, 10, 0.9987502694369687, 0.0012497305630313773],
      [5, 3, 0.18473675547622787, 0.8152632445237722],
      [10, 12, 0.7576078383294875, 0.24239216167051245],
      [10, 30, 0.9999928782491372, 7.121750862815593e-6],
      [50, 45, 0.24680203440017026, 0.7531979655998298],
      [50, 80, 0.9998692160234086, 0.0001307839765914092],
      [250, 240, 0.2676500698540158, 0.7323499301459842],
      [0.01, 0.5, 0.9943732438060326, 0.005626756193967183],
      [3, 1e-5, 1.66665416671666e-16, 0.9999999999999998],
      [1000, 1100, 0.9989406767460701, 0.0010593232539299773],
    ];
    for (const [a, x, p, q] of table) {
      expectRelClose(regularizedGammaP(a, x), p, 1e-12);
      expectRelClose(regularizedGammaQ(a, x), q, 1e-12);
    }
    expect(regularizedGammaP(2, 0)).toBe(0);
    expect(regularizedGammaQ(2, Infinity)).toBe(0);
    expect(regularizedGammaP(-1, 1)).toBeNaN();
  });

  it('chi-squared survival is Q(df/2, x/2) and matches scipy.stats.chi2.sf to 1e-13', () => {
    // [x, df, scipy.stats.chi2.sf(x, df)]
    const table: [number, number, number][] = [
      [3.84, 1, 0.05004352124870519],
      [10, 5, 0.07523524614651217],
      [0.5, 3, 0.9188914116546758],
      [100, 50, 3.454931382984871e-5],
      [30, 4, 4.894437128029217e-6],
      [200, 120, 6.341503427369146e-6],
    ];
    for (const [x, df, want] of table) expectRelClose(chiSquaredSf(x, df), want, 1e-13);
    expect(chiSquaredSf(0, 3)).toBe(1);
  });

  it('regularized incomplete beta matches scipy.special.betainc to 1e-13', () => {
    // [a, b, x, scipy.special.betainc(a, b, x)]
    const table: [number, number, number, number][] = [
      [0.5, 0.5, 0.3, 0.36901011956554536],
      [2, 3, 0.4, 0.5247999999999999],
      [2, 3, 0.9, 0.9963],
      [10, 20, 0.2, 0.049263517304212585],
      [0.1, 5, 0.01, 0.7690889207843462],
      [50, 40, 0.6, 0.8011534179744884],
      [1, 1, 0.25, 0.25],
      [7.5, 0.8, 0.99, 0.8700290129211316],
    ];
    for (const [a, b, x, want] of table) expectRelClose(regularizedBeta(x, a, b), want, 1e-13);
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
  });

  it('erf and erfc match scipy.special.erf / erfc to 1e-13, erfc keeping relative accuracy in the tail', () => {
    // [z, scipy.special.erf(z), scipy.special.erfc(z)]
    const table: [number, number, number][] = [
      [-40, -1, 2],
      [-10, -1, 2],
      [-5, -0.9999999999984626, 1.9999999999984626],
      [-3, -0.9999779095030014, 1.9999779095030015],
      [-2.1, -0.997020533343667, 1.997020533343667],
      [-2, -0.9953222650189527, 1.9953222650189528],
      [-1, -0.8427007929497148, 1.8427007929497148],
      [-0.5, -0.5204998778130465, 1.5204998778130465],
      [-1e-9, -1.1283791670955127e-9, 1.0000000011283792],
      [0, 0, 1],
      [1e-9, 1.1283791670955127e-9, 0.9999999988716208],
      [0.3, 0.3286267594591274, 0.6713732405408726],
      [0.5, 0.5204998778130465, 0.4795001221869535],
      [1, 0.8427007929497148, 0.15729920705028516],
      [1.5, 0.9661051464753108, 0.03389485352468927],
      [1.99, 0.995111413199617, 0.004888586800383002],
      [2, 0.9953222650189527, 0.004677734981047266],
      [2.01, 0.9955248493552482, 0.004475150644751764],
      [2.5, 0.999593047982555, 0.00040695201744495886],
      [2.9, 0.9999589021219005, 4.109787809945884e-5],
      [3, 0.9999779095030014, 2.2090496998585445e-5],
      [5, 0.9999999999984626, 1.5374597944280347e-12],
      [6, 1, 2.1519736712498913e-17],
      [10, 1, 2.0884875837625446e-45],
      [26, 1, 5.663192408856145e-296],
    ];
    for (const [z, e, c] of table) {
      expectRelClose(erf(z), e, 1e-13);
      expectRelClose(erfc(z), c, 1e-13);
    }
  });

  it('the normal CDF and survival function match scipy.stats.norm.cdf / sf to 1e-13', () => {
    // [z, scipy.stats.norm.cdf(z), scipy.stats.norm.sf(z)]
    const table: [number, number, number][] = [
      [-20, 2.7536241186061556e-89, 1],
      [-8.5, 9.47953482220325e-18, 1],
      [-5, 2.866515718791933e-7, 0.9999997133484281],
      [-3, 0.0013498980316300933, 0.9986501019683699],
      [-1.96, 0.024997895148220435, 0.9750021048517795],
      [-1, 0.15865525393145707, 0.8413447460685429],
      [0, 0.5, 0.5],
      [0.5, 0.6914624612740131, 0.3085375387259869],
      [1.2, 0.8849303297782918, 0.11506967022170822],
      [1.96, 0.9750021048517795, 0.024997895148220435],
      [3, 0.9986501019683699, 0.0013498980316300933],
      [8.5, 1, 9.47953482220325e-18],
      [20, 1, 2.7536241186061556e-89],
    ];
    for (const [z, cdf, sf] of table) {
      expectRelClose(normalCdf(z), cdf, 1e-13);
      expectRelClose(normalSf(z), sf, 1e-13);
    }
  });

  it('the Kolmogorov survival function matches scipy.special.kolmogorov on both of its series', () => {
    // [λ, scipy.special.kolmogorov(λ)]
    const table: [number, number][] = [
      [0.05, 1],
      [0.1, 1],
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.8, 0.5441424115741981],
      [0.99, 0.2808738392255489],
      [1, 0.26999967167735456],
      [1.01, 0.25943416909359746],
      [1.2, 0.11224966667072497],
      [1.36, 0.049485876755377876],
      [1.5, 0.022217962616525127],
      [2, 0.0006709252557796953],
      [3, 3.045995948942526e-8],
      [5, 3.8574996959278356e-22],
      [10, 2.767793053473475e-87],
    ];
    for (const [lambda, want] of table) expectRelClose(kolmogorovSf(lambda), want, 1e-14);
    expect(kolmogorovSf(0)).toBe(1);
  });
});
