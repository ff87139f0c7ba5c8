import { describe, expect, it } from 'vitest';
import { abZTest, decideAbTest, msprtTwoProportions, sampleSizeTwoProportions } from '../../../core/stats/ab';
import { normalQuantile } from '../../../core/stats/special';
import type { AbTestConfig, ArmCounts } from '../../../core/stats/ab';
import { seededRandom } from '../../../core/random';
import { expectRelClose } from './reference';
// Produced by scripts/reference/ab_reference.py (scipy / statsmodels); see that file to regenerate.
import reference from './ab-reference.json';

function arm([successes, trials]: number[]): ArmCounts {
  return { successes: successes!, trials: trials! };
}

describe('normalQuantile', () => {
  it('matches scipy.stats.norm.ppf from 1e-300 to 1 − 1e-10', () => {
    for (const { p, x } of reference.normalQuantile) {
      expect(Math.abs(normalQuantile(p) - x), `p=${p}`).toBeLessThanOrEqual(1e-10);
      // Relative: 1e-13 except 1 − 1e-10, where the input itself carries only 6 significant digits of 1 − p.
      if (p < 0.9999) expectRelClose(normalQuantile(p), x, 1e-13);
    }
  });

  it('is exactly antisymmetric, 0 at one half and infinite at the ends', () => {
    expect(normalQuantile(0.5)).toBe(0);
    // 1 − p is exact for p ≥ 0.5 (but 1 − 0.975 is not the double nearest 0.025).
    for (const p of [0.975, 0.8, 0.5000001, 1 - 1e-10]) expect(normalQuantile(p)).toBe(-normalQuantile(1 - p));
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });

  it('rejects p outside [0, 1]', () => {
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(/\[0, 1\], got NaN/);
  });
});

describe('sampleSizeTwoProportions', () => {
  it('matches the classical formula coded in Python and statsmodels samplesize_proportions_2indep_onetail', () => {
    for (const r of reference.sampleSizes) {
      const size = sampleSizeTwoProportions({ baseline: r.baseline, minimumDetectableEffect: r.mde, alpha: r.alpha, power: r.power, ratio: r.ratio });
      expect(size.perArm, JSON.stringify(r)).toEqual({ control: r.control, treatment: r.treatment });
      expect(size.total).toBe(r.control + r.treatment);
      // statsmodels computes the same formula (its sample 1 is the treatment): identical before rounding.
      expectRelClose(r.statsmodelsOneTailControl, r.controlExact, 1e-12);
    }
  });

  it("is within 2% of statsmodels NormalIndPower with Cohen's h (an arcsine variance approximation)", () => {
    for (const r of reference.sampleSizes) {
      const { perArm } = sampleSizeTwoProportions({ baseline: r.baseline, minimumDetectableEffect: r.mde, alpha: r.alpha, power: r.power, ratio: r.ratio });
      expect(Math.abs(perArm.control - r.cohenHControl) / r.cohenHControl, JSON.stringify(r)).toBeLessThan(0.02);
    }
  });

  it('defaults to alpha 0.05, power 0.8 and equal arms: 3,841 per arm to see 10% → 12%', () => {
    expect(sampleSizeTwoProportions({ baseline: 0.1, minimumDetectableEffect: 0.02 })).toEqual({ perArm: { control: 3841, treatment: 3841 }, total: 7682 });
  });

  it('rejects rates, levels and ratios outside their ranges, naming the field', () => {
    const ok = { baseline: 0.1, minimumDetectableEffect: 0.02 };
    expect(() => sampleSizeTwoProportions({ ...ok, baseline: 0 })).toThrow(/baseline must lie in \(0, 1\), got 0/);
    expect(() => sampleSizeTwoProportions({ ...ok, minimumDetectableEffect: 0.95 })).toThrow(/baseline \+ minimumDetectableEffect must lie in \(0, 1\)/);
    expect(() => sampleSizeTwoProportions({ ...ok, minimumDetectableEffect: 0 })).toThrow(/non-zero/);
    expect(() => sampleSizeTwoProportions({ ...ok, alpha: 1 })).toThrow(/alpha must lie in \(0, 1\)/);
    expect(() => sampleSizeTwoProportions({ ...ok, power: 0 })).toThrow(/power must lie in \(0, 1\)/);
    expect(() => sampleSizeTwoProportions({ ...ok, ratio: -1 })).toThrow(RangeError);
  });
});

describe('abZTest (challenger minus champion)', () => {
  it('matches statsmodels proportions_ztest (pooled) and confint_proportions_2indep(method="wald")', () => {
    for (const r of reference.zTests) {
      const t = abZTest({ control: arm(r.control), treatment: arm(r.treatment), alpha: r.alpha });
      expectRelClose(t.z, r.z, 1e-12);
      expectRelClose(t.pValue, r.pValue, 1e-10);
      expectRelClose(t.confidenceInterval[0], r.ciLow, 1e-12);
      expectRelClose(t.confidenceInterval[1], r.ciHigh, 1e-12);
      expect(t.difference).toBe(r.treatment[0]! / r.treatment[1]! - r.control[0]! / r.control[1]!);
    }
  });

  it('rejects an empty arm and more successes than trials', () => {
    expect(() => abZTest({ control: { successes: 0, trials: 0 }, treatment: { successes: 1, trials: 5 } })).toThrow(
      /control trials must be a positive integer, got 0/,
    );
    expect(() => abZTest({ control: { successes: 1, trials: 5 }, treatment: { successes: 6, trials: 5 } })).toThrow(
      /treatment successes must be an integer in \[0, trials=5\], got 6/,
    );
  });
});

/** Cumulative Bernoulli(p) successes after each batch. */
function cumulativeSuccesses(random: () => number, p: number, batch: number, batches: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < batch; i++) if (random() < p) s++;
    out.push(s);
  }
  return out;
}

interface PeekingOutcome {
  msprtRejected: number;
  naiveRejected: number;
}

/** Simulated tests peeked after every batch; counts those the mSPRT and the naive z-test ever reject. */
function simulatePeeking(
  seed: number,
  runs: number,
  pc: number,
  pt: number,
  batchControl: number,
  batchTreatment: number,
  batches: number,
  tau: number,
): PeekingOutcome {
  const random = seededRandom(seed);
  let msprtRejected = 0;
  let naiveRejected = 0;
  for (let run = 0; run < runs; run++) {
    const control = cumulativeSuccesses(random, pc, batchControl, batches);
    const treatment = cumulativeSuccesses(random, pt, batchTreatment, batches);
    let msprt = false;
    let naive = false;
    for (let b = 0; b < batches && !(msprt && naive); b++) {
      const c = { successes: control[b]!, trials: batchControl * (b + 1) };
      const t = { successes: treatment[b]!, trials: batchTreatment * (b + 1) };
      msprt ||= msprtTwoProportions({ control: c, treatment: t, tau, alpha: 0.05 }).reject;
      naive ||= abZTest({ control: c, treatment: t }).pValue <= 0.05;
    }
    if (msprt) msprtRejected++;
    if (naive) naiveRejected++;
  }
  return { msprtRejected, naiveRejected };
}

describe('msprtTwoProportions', () => {
  it("equals the paper's Λ_n evaluated directly, and the Python evaluation of it", () => {
    // n = 1000 per arm, 300 vs 345 successes, τ = 0.05.
    const n = 1000;
    const [pc, pt, tau] = [0.3, 0.345, 0.05];
    const v = pc * (1 - pc) + pt * (1 - pt);
    const direct = Math.sqrt(v / (v + n * tau ** 2)) * Math.exp((n ** 2 * tau ** 2 * (pt - pc) ** 2) / (2 * v * (v + n * tau ** 2)));
    const r = msprtTwoProportions({ control: { successes: 300, trials: n }, treatment: { successes: 345, trials: n }, tau });
    expectRelClose(r.lambda, direct, 1e-12);
    expectRelClose(r.pValue, 1 / direct, 1e-12);
    expect(r.reject).toBe(false);
    for (const m of reference.msprt) {
      expectRelClose(msprtTwoProportions({ control: arm(m.control), treatment: arm(m.treatment), tau: m.tau }).lambda, m.lambda, 1e-12);
    }
  });

  it('rejects once Λ ≥ 1/alpha, and reports no evidence when the plug-in variance is zero', () => {
    const strong = msprtTwoProportions({ control: { successes: 300, trials: 1000 }, treatment: { successes: 400, trials: 1000 }, tau: 0.05, alpha: 0.05 });
    expect(strong.lambda).toBeGreaterThanOrEqual(20);
    expect(strong.reject).toBe(true);
    expectRelClose(strong.pValue, 1 / strong.lambda, 1e-14);
    expect(msprtTwoProportions({ control: { successes: 0, trials: 200 }, treatment: { successes: 0, trials: 200 }, tau: 0.05 })).toEqual({
      lambda: 1,
      pValue: 1,
      reject: false,
    });
    expect(() => msprtTwoProportions({ control: { successes: 1, trials: 2 }, treatment: { successes: 1, trials: 2 }, tau: 0 })).toThrow(/tau/);
  });

  it('keeps the false-positive rate under alpha when peeked after every 50 per arm up to 5,000, unlike the naive z-test', () => {
    // H0: both arms 0.30. 400 tests, 100 looks each. Measured with this seed: mSPRT 0.0275, naive 0.41.
    const { msprtRejected, naiveRejected } = simulatePeeking(20240611, 400, 0.3, 0.3, 50, 50, 100, 0.06);
    expect(msprtRejected / 400).toBeLessThanOrEqual(0.05);
    expect(naiveRejected / 400).toBeGreaterThan(2 * 0.05);
  });

  it('keeps the false-positive rate under alpha for a canary split 1:4 (unbalanced form)', () => {
    // H0: both arms 0.30; after every batch the challenger gets 25 and the champion 100 more, up to 2,500 / 10,000.
    // Measured with this seed: mSPRT 0.03, naive 0.36.
    const { msprtRejected, naiveRejected } = simulatePeeking(7, 300, 0.3, 0.3, 100, 25, 100, 0.06);
    expect(msprtRejected / 300).toBeLessThanOrEqual(0.05);
    expect(naiveRejected / 300).toBeGreaterThan(2 * 0.05);
  });

  it('detects 0.30 → 0.36 in most tests within 5,000 per arm', () => {
    // Measured with this seed: 399 of 400.
    const { msprtRejected } = simulatePeeking(99, 400, 0.3, 0.36, 50, 50, 100, 0.06);
    expect(msprtRejected / 400).toBeGreaterThan(0.9);
  });
});

describe('decideAbTest', () => {
  const sequential: AbTestConfig = { alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.06, rule: 'sequential' };
  const fixed: AbTestConfig = { ...sequential, rule: 'fixed' };
  const state = (config: AbTestConfig, c: [number, number], t: [number, number], atMaximumDuration = false) => ({
    config,
    control: arm(c),
    treatment: arm(t),
    atMaximumDuration,
  });

  it('promotes a clearly better challenger and quotes the numbers', () => {
    const v = decideAbTest(state(fixed, [763, 1190], [854, 1200]));
    expect(v.decision).toBe('promote');
    expect(v.reason).toBe(
      'the challenger is better: challenger 0.712 vs champion 0.641 (n=1200/1190), z=3.68, p=0.00023 < alpha 0.05, ' +
        'difference +0.0705 (95% CI 0.0331 to 0.108)',
    );
    // Observed baseline 763/1190, MDE 0.06, arms 1200:1190 → 958 / 966 by the power analysis.
    expect(v.numbers).toMatchObject({ controlRate: 763 / 1190, treatmentRate: 854 / 1200, baseline: 763 / 1190, requiredControl: 958, requiredTreatment: 966 });
    const s = decideAbTest(state(sequential, [763, 1190], [854, 1200]));
    expect(s.decision).toBe('promote');
    expect(s.reason).toBe(
      'the challenger is better: challenger 0.712 vs champion 0.641 (n=1200/1190), difference +0.0705, always-valid p=0.0067 < alpha 0.05 (Λ=148, τ=0.06)',
    );
    expectRelClose(s.numbers.alwaysValidPValue!, 1 / s.numbers.lambda!, 1e-14);
  });

  it('rolls back a clearly worse challenger', () => {
    expect(decideAbTest(state(fixed, [854, 1200], [763, 1190])).decision).toBe('rollback');
    expect(decideAbTest(state(sequential, [854, 1200], [763, 1190])).decision).toBe('rollback');
  });

  it('keeps the champion when the fixed horizon shows no significant difference', () => {
    const v = decideAbTest(state(fixed, [640, 1000], [650, 1000]));
    expect(v.decision).toBe('keep-champion');
    expect(v.reason).toMatch(
      /^no significant difference at the fixed horizon: challenger 0.65 vs champion 0.64 \(n=1000\/1000\), z=0.47, p=0.64 ≥ alpha 0.05, difference \+0.01 .*the champion keeps serving$/,
    );
  });

  it('calls a tie at the maximum duration a keep-champion, under either rule', () => {
    const s = decideAbTest({ ...state(sequential, [640, 1000], [650, 1000], true), alwaysValidPValue: 0.4 });
    expect(s.decision).toBe('keep-champion');
    expect(s.reason).toMatch(/^tie at the maximum duration: .*always-valid p=0.4 ≥ alpha 0.05.*the champion keeps serving$/);
    const f = decideAbTest(state(fixed, [320, 500], [330, 500], true));
    expect(f.decision).toBe('keep-champion');
    expect(f.reason).toMatch(/^tie at the maximum duration: the fixed horizon needs n=\d+\/\d+/);
  });

  it('continues before minSamples per arm, however large the difference', () => {
    const v = decideAbTest(state(sequential, [10, 90], [80, 90]));
    expect(v).toMatchObject({ decision: 'continue', reason: 'waiting for minSamples 100 per arm: n=90/90 (challenger/champion)' });
    expect(v.numbers.alwaysValidPValue).toBe(1);
    expect(decideAbTest(state({ ...fixed, minSamples: 500 }, [100, 400], [300, 400])).decision).toBe('continue');
  });

  it('fixed rule waits for the power analysis sample size, even when the difference is already significant', () => {
    // Baseline 0.64 observed, MDE 0.06: 963 per arm. At 600 a difference of 0.07 already has p ≈ 0.01.
    const early = decideAbTest(state(fixed, [384, 600], [426, 600]));
    expect(early.decision).toBe('continue');
    expect(early.numbers.pValue).toBeLessThan(0.05);
    const required = sampleSizeTwoProportions({ baseline: 0.64, minimumDetectableEffect: 0.06 }).perArm.control;
    expect(required).toBe(963);
    expect(early.numbers).toMatchObject({ baseline: 0.64, requiredControl: required, requiredTreatment: required });
    expect(early.reason).toMatch(new RegExp(`^the fixed horizon needs n=${required}/${required} \\(baseline 0.64, MDE 0.06, alpha 0.05, power 0.8\\)`));
    // With the baseline pre-registered the horizon stays put: one observation short it still waits.
    const registered = { ...fixed, baseline: 0.64 };
    expect(decideAbTest(state(registered, [616, 962], [684, 962])).decision).toBe('continue');
    expect(decideAbTest(state(registered, [616, 963], [684, 963])).decision).toBe('promote');
  });

  it('sequential rule carries the running always-valid p-value from check to check', () => {
    // A challenger that is truly better, checked every 100 per arm: p only ever falls, and it promotes.
    const random = seededRandom(3);
    const c = cumulativeSuccesses(random, 0.3, 100, 50);
    const t = cumulativeSuccesses(random, 0.38, 100, 50);
    let p = 1;
    let decision = 'continue';
    for (let b = 0; b < 50 && decision === 'continue'; b++) {
      const v = decideAbTest({ ...state(sequential, [c[b]!, 100 * (b + 1)], [t[b]!, 100 * (b + 1)]), alwaysValidPValue: p });
      expect(v.numbers.alwaysValidPValue).toBeLessThanOrEqual(p);
      p = v.numbers.alwaysValidPValue!;
      decision = v.decision;
    }
    expect(decision).toBe('promote');
    expect(p).toBeLessThanOrEqual(0.05);
  });

  it('rejects an invalid config', () => {
    expect(() => decideAbTest(state({ ...fixed, alpha: 0 }, [1, 200], [1, 200]))).toThrow(/A\/B test config: alpha must lie in \(0, 1\), got 0/);
    expect(() => decideAbTest(state({ ...fixed, minSamples: 0 }, [1, 200], [1, 200]))).toThrow(/minSamples/);
  });
});
