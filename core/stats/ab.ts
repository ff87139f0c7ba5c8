// Statistics of A/B tests and canary rollouts: the power analysis of a two-proportion
// test, the fixed-horizon z-test, the mixture SPRT that may be peeked at after every observation, and the
// decision the rollout workflow asks for at each check. Pure functions; "control" is the champion
// (the model serving now), "treatment" the challenger.
import { normalQuantile } from './special';
import { twoProportionZTest } from './proportions';

/** Successes (e.g. conversions, correct predictions) out of trials in one arm. */
export interface ArmCounts {
  successes: number;
  trials: number;
}

// ---------------------------------------------------------------------------------------------------
// Power analysis

export interface SampleSizeInput {
  /** The control (champion) rate. */
  baseline: number;
  /** Absolute lift to detect: treatment rate = baseline + minimumDetectableEffect (either sign, not 0). */
  minimumDetectableEffect: number;
  alpha?: number;
  power?: number;
  /** Allocation ratio treatment / control (a 10% canary next to 90% control is 1/9). */
  ratio?: number;
}

export interface SampleSize {
  perArm: { control: number; treatment: number };
  total: number;
}

function requireOpenUnit(what: string, name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`${what}: ${name} must lie in (0, 1), got ${value}`);
}

/**
 * Observations per arm for a two-sided two-proportion z-test of level alpha to reach the given power at
 * p_t = p_c + Δ. Classical (Fleiss, no continuity correction): pooled variance under H0, unpooled under H1,
 *   n_c = (z_{1−α/2} √(p̄(1−p̄)(1 + 1/r)) + z_{power} √(p_c(1−p_c) + p_t(1−p_t)/r))² / Δ²,
 *   p̄ = (p_c + r p_t)/(1 + r), n_t = r n_c,
 * both rounded up. Equals statsmodels' samplesize_proportions_2indep_onetail (which ignores the far tail too).
 */
export function sampleSizeTwoProportions(input: SampleSizeInput): SampleSize {
  const { baseline, minimumDetectableEffect: mde, alpha = 0.05, power = 0.8, ratio = 1 } = input;
  const what = 'sample size';
  requireOpenUnit(what, 'baseline', baseline);
  if (!(Number.isFinite(mde) && mde !== 0)) throw new RangeError(`${what}: minimumDetectableEffect must be a non-zero absolute lift, got ${mde}`);
  requireOpenUnit(what, 'baseline + minimumDetectableEffect', baseline + mde);
  requireOpenUnit(what, 'alpha', alpha);
  requireOpenUnit(what, 'power', power);
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new RangeError(`${what}: ratio (treatment / control) must be > 0, got ${ratio}`);
  const pc = baseline;
  const pt = baseline + mde;
  const pooled = (pc + ratio * pt) / (1 + ratio);
  const zAlpha = -normalQuantile(alpha / 2);
  const zPower = normalQuantile(power);
  const root = zAlpha * Math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio)) + zPower * Math.sqrt(pc * (1 - pc) + (pt * (1 - pt)) / ratio);
  // Power below alpha/2 can make the bracket negative: any sample size is enough then.
  const n = Math.max(root, 0) ** 2 / (mde * mde);
  const control = Math.max(1, Math.ceil(n));
  const treatment = Math.max(1, Math.ceil(ratio * n));
  return { perArm: { control, treatment }, total: control + treatment };
}

// ---------------------------------------------------------------------------------------------------
// Fixed-horizon z-test

export interface AbZTestInput {
  control: ArmCounts;
  treatment: ArmCounts;
  /** Level of the confidence interval, 1 − alpha (default 0.05 → 95%). */
  alpha?: number;
}

export interface AbZTest {
  controlRate: number;
  treatmentRate: number;
  /** treatmentRate − controlRate. */
  difference: number;
  /** Pooled-SE z of the difference; > 0 when the challenger is better. */
  z: number;
  /** Two-sided. */
  pValue: number;
  /** Unpooled Wald interval for the difference (statsmodels confint_proportions_2indep(method='wald')). */
  confidenceInterval: [number, number];
}

function requireArm(what: string, name: string, arm: ArmCounts): void {
  const { successes, trials } = arm;
  if (!(Number.isInteger(trials) && trials > 0)) throw new RangeError(`${what}: ${name} trials must be a positive integer, got ${trials}`);
  if (!(Number.isInteger(successes) && successes >= 0 && successes <= trials)) {
    throw new RangeError(`${what}: ${name} successes must be an integer in [0, trials=${trials}], got ${successes}`);
  }
}

/**
 * Challenger minus champion: the pooled z-test of proportions.ts (statsmodels proportions_ztest) for the
 * decision, plus the unpooled Wald interval to report how large the difference plausibly is.
 */
export function abZTest(input: AbZTestInput): AbZTest {
  const { control, treatment, alpha = 0.05 } = input;
  requireArm('A/B z-test', 'control', control);
  requireArm('A/B z-test', 'treatment', treatment);
  requireOpenUnit('A/B z-test', 'alpha', alpha);
  const controlRate = control.successes / control.trials;
  const treatmentRate = treatment.successes / treatment.trials;
  const difference = treatmentRate - controlRate;
  const { statistic, pValue } = twoProportionZTest(treatment.successes, treatment.trials, control.successes, control.trials);
  const se = Math.sqrt((controlRate * (1 - controlRate)) / control.trials + (treatmentRate * (1 - treatmentRate)) / treatment.trials);
  const half = -normalQuantile(alpha / 2) * se;
  return { controlRate, treatmentRate, difference, z: statistic, pValue, confidenceInterval: [difference - half, difference + half] };
}

// ---------------------------------------------------------------------------------------------------
// Mixture SPRT

export interface MsprtInput {
  control: ArmCounts;
  treatment: ArmCounts;
  /** Standard deviation τ of the N(0, τ²) prior mixed over the true difference; > 0. */
  tau: number;
  alpha?: number;
}

export interface MsprtResult {
  /** The mixture likelihood ratio Λ (may be +∞ when it overflows). */
  lambda: number;
  /** min(1, 1/Λ): this look's always-valid p-value. The caller keeps the running minimum over looks. */
  pValue: number;
  /** Λ ≥ 1/alpha. */
  reject: boolean;
}

/**
 * Mixture sequential probability ratio test (Johari, Koomen, Pekelis & Walsh, "Always valid inference",
 * 2017/2022) for θ = p_t − p_c. With θ̂ = p̂_t − p̂_c approximately N(θ, σ²) and θ mixed over N(0, τ²),
 *   Λ = √(σ² / (σ² + τ²)) · exp(θ̂² τ² / (2 σ² (σ² + τ²))),   σ² = p̂_c(1−p̂_c)/n_c + p̂_t(1−p̂_t)/n_t.
 * With n_c = n_t = n and V = p̂_c(1−p̂_c) + p̂_t(1−p̂_t), σ² = V/n and this is the paper's
 *   Λ_n = √(V / (V + nτ²)) · exp(n² τ² θ̂² / (2V (V + nτ²))).
 * The unbalanced form keeps a canary's large control arm; Λ stays a martingale under H0 (so Ville's
 * inequality gives P(ever Λ ≥ 1/α) ≤ α) as long as the allocation ratio is held fixed.
 * τ: Λ grows fastest for true effects near τ; the decision uses the minimum detectable effect.
 * A zero plug-in variance (every observation so far a success, or every one a failure) gives Λ = 1: no evidence.
 */
export function msprtTwoProportions(input: MsprtInput): MsprtResult {
  const { control, treatment, tau, alpha = 0.05 } = input;
  requireArm('mSPRT', 'control', control);
  requireArm('mSPRT', 'treatment', treatment);
  requireOpenUnit('mSPRT', 'alpha', alpha);
  if (!(tau > 0 && Number.isFinite(tau))) throw new RangeError(`mSPRT: tau (the mixing standard deviation) must be > 0, got ${tau}`);
  const pc = control.successes / control.trials;
  const pt = treatment.successes / treatment.trials;
  const theta = pt - pc;
  const variance = (pc * (1 - pc)) / control.trials + (pt * (1 - pt)) / treatment.trials;
  if (variance === 0) return { lambda: 1, pValue: 1, reject: false };
  const tau2 = tau * tau;
  const logLambda = 0.5 * Math.log(variance / (variance + tau2)) + (theta * theta * tau2) / (2 * variance * (variance + tau2));
  const lambda = Math.exp(logLambda);
  return { lambda, pValue: Math.min(1, Math.exp(-logLambda)), reject: lambda >= 1 / alpha };
}

// ---------------------------------------------------------------------------------------------------
// The decision at each check

export type AbRule = 'fixed' | 'sequential';
export type AbDecision = 'continue' | 'promote' | 'rollback' | 'keep-champion';

export interface AbTestConfig {
  alpha: number;
  power: number;
  /** Absolute lift worth detecting (> 0); sizes the fixed horizon and is the default mSPRT τ. */
  minimumDetectableEffect: number;
  rule: AbRule;
  /** Observations per arm before any decision (default 100). */
  minSamples?: number;
  /** mSPRT mixing standard deviation (default: minimumDetectableEffect). */
  tau?: number;
  /** Pre-registered control rate for the power analysis (default: the control rate observed so far). */
  baseline?: number;
}

export interface AbTestState {
  config: AbTestConfig;
  control: ArmCounts;
  treatment: ArmCounts;
  /** Running always-valid p-value returned by the previous check (sequential rule; 1 or absent at the first). */
  alwaysValidPValue?: number;
  atMaximumDuration: boolean;
}

/** Everything the decision looked at; fields are absent when that statistic was not computed. */
export interface AbNumbers {
  controlSuccesses: number;
  controlTrials: number;
  treatmentSuccesses: number;
  treatmentTrials: number;
  minSamples: number;
  controlRate?: number;
  treatmentRate?: number;
  difference?: number;
  z?: number;
  pValue?: number;
  confidenceInterval?: [number, number];
  /** Fixed rule: the baseline used for the power analysis and the sample size it asks for per arm. */
  baseline?: number;
  requiredControl?: number;
  requiredTreatment?: number;
  /** Sequential rule: τ, this look's Λ, and the running always-valid p-value to pass to the next check. */
  tau?: number;
  lambda?: number;
  alwaysValidPValue?: number;
}

export interface AbVerdict {
  decision: AbDecision;
  reason: string;
  numbers: AbNumbers;
}

export const DEFAULT_MIN_SAMPLES = 100;
/** Keeps the power analysis defined when the control rate so far is 0 or 1. */
export const BASELINE_FLOOR = 0.001;

/** Up to `digits` significant digits, without trailing zeros: 0.712, 0.00014, 1e-10. */
function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : String(x);
}

/** A difference with its sign, so a reader sees the direction at a glance: +0.0705, -0.012. */
function signed(x: number): string {
  return x > 0 ? `+${fmt(x)}` : fmt(x);
}

function compareSign(p: number, alpha: number): string {
  return p < alpha ? '<' : p === alpha ? '=' : '≥';
}

function validateConfig(config: AbTestConfig): void {
  const what = 'A/B test config';
  requireOpenUnit(what, 'alpha', config.alpha);
  requireOpenUnit(what, 'power', config.power);
  requireOpenUnit(what, 'minimumDetectableEffect', config.minimumDetectableEffect);
  if (config.rule !== 'fixed' && config.rule !== 'sequential')
    throw new RangeError(`${what}: rule must be "fixed" or "sequential", got "${String(config.rule)}"`);
  const m = config.minSamples;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new RangeError(`${what}: minSamples must be a positive integer, got ${m}`);
  if (config.tau !== undefined && !(config.tau > 0)) throw new RangeError(`${what}: tau must be > 0, got ${config.tau}`);
  if (config.baseline !== undefined) requireOpenUnit(what, 'baseline', config.baseline);
}

/** The observed rate moved into [floor, 1 − floor − mde] so that both rates of the power analysis are valid. */
function powerBaseline(rate: number, mde: number): number {
  const high = 1 - BASELINE_FLOOR - mde;
  if (high < BASELINE_FLOOR) throw new RangeError(`A/B test config: minimumDetectableEffect ${mde} leaves no valid baseline rate`);
  return Math.min(Math.max(rate, BASELINE_FLOOR), high);
}

function comparison(t: AbZTest, n: AbNumbers): string {
  return `challenger ${fmt(t.treatmentRate)} vs champion ${fmt(t.controlRate)} (n=${n.treatmentTrials}/${n.controlTrials})`;
}

function tieAtMaximum(detail: string, numbers: AbNumbers): AbVerdict {
  return { decision: 'keep-champion', reason: `tie at the maximum duration: ${detail}; the champion keeps serving`, numbers };
}

/** Not enough data yet: continue, or a tie once the maximum duration is reached. */
function waiting(state: AbTestState, detail: string, numbers: AbNumbers): AbVerdict {
  return state.atMaximumDuration ? tieAtMaximum(detail, numbers) : { decision: 'continue', reason: detail, numbers };
}

/** Fixed horizon: one test once both arms reach the power analysis' sample size. */
function decideFixed(state: AbTestState, test: AbZTest, numbers: AbNumbers): AbVerdict {
  const { alpha, power, minimumDetectableEffect: mde } = state.config;
  const baseline = powerBaseline(state.config.baseline ?? test.controlRate, mde);
  const ratio = state.treatment.trials / state.control.trials;
  const { perArm } = sampleSizeTwoProportions({ baseline, minimumDetectableEffect: mde, alpha, power, ratio });
  const requiredControl = Math.max(perArm.control, numbers.minSamples);
  const requiredTreatment = Math.max(perArm.treatment, numbers.minSamples);
  const all: AbNumbers = { ...numbers, baseline, requiredControl, requiredTreatment };
  const stats = `${comparison(test, all)}, z=${test.z.toFixed(2)}, p=${fmt(test.pValue, 2)}`;
  if (state.control.trials < requiredControl || state.treatment.trials < requiredTreatment) {
    return waiting(
      state,
      `the fixed horizon needs n=${requiredTreatment}/${requiredControl} (baseline ${fmt(baseline)}, MDE ${mde}, alpha ${alpha}, power ${power}), so far ${stats}`,
      all,
    );
  }
  const ci = `${fmt((1 - alpha) * 100)}% CI ${fmt(test.confidenceInterval[0])} to ${fmt(test.confidenceInterval[1])}`;
  const verdict = `${stats} ${compareSign(test.pValue, alpha)} alpha ${alpha}, difference ${signed(test.difference)} (${ci})`;
  if (test.pValue <= alpha) {
    return test.difference > 0
      ? { decision: 'promote', reason: `the challenger is better: ${verdict}`, numbers: all }
      : { decision: 'rollback', reason: `the challenger is worse: ${verdict}`, numbers: all };
  }
  return { decision: 'keep-champion', reason: `no significant difference at the fixed horizon: ${verdict}; the champion keeps serving`, numbers: all };
}

/** Sequential: the mSPRT's always-valid p-value, checked at every look. */
function decideSequential(state: AbTestState, test: AbZTest, numbers: AbNumbers): AbVerdict {
  const { alpha, minimumDetectableEffect: mde } = state.config;
  const tau = state.config.tau ?? mde;
  const look = msprtTwoProportions({ control: state.control, treatment: state.treatment, tau, alpha });
  const alwaysValidPValue = Math.min(state.alwaysValidPValue ?? 1, look.pValue);
  const all: AbNumbers = { ...numbers, tau, lambda: look.lambda, alwaysValidPValue };
  const verdict =
    `${comparison(test, all)}, difference ${signed(test.difference)}, ` +
    `always-valid p=${fmt(alwaysValidPValue, 2)} ${compareSign(alwaysValidPValue, alpha)} alpha ${alpha} (Λ=${fmt(look.lambda)}, τ=${tau})`;
  if (alwaysValidPValue <= alpha) {
    return test.difference > 0
      ? { decision: 'promote', reason: `the challenger is better: ${verdict}`, numbers: all }
      : { decision: 'rollback', reason: `the challenger is not better: ${verdict}`, numbers: all };
  }
  return waiting(state, `no decision yet: ${verdict}`, all);
}

/**
 * The rollout workflow's decision at one check (pure and deterministic, so it is safe to replay).
 * Nothing is decided before minSamples per arm; then the fixed rule waits for its sample size and tests
 * once, the sequential rule stops as soon as the always-valid p-value reaches alpha. Undecided at the
 * maximum duration means keep-champion: the challenger is rolled back as a tie.
 */
export function decideAbTest(state: AbTestState): AbVerdict {
  validateConfig(state.config);
  const { control, treatment, config } = state;
  const minSamples = config.minSamples ?? DEFAULT_MIN_SAMPLES;
  const counts: AbNumbers = {
    controlSuccesses: control.successes,
    controlTrials: control.trials,
    treatmentSuccesses: treatment.successes,
    treatmentTrials: treatment.trials,
    minSamples,
  };
  const previous = state.alwaysValidPValue;
  if (previous !== undefined && !(previous >= 0 && previous <= 1)) throw new RangeError(`A/B test: alwaysValidPValue must lie in [0, 1], got ${previous}`);
  const carried: AbNumbers = config.rule === 'sequential' ? { ...counts, alwaysValidPValue: previous ?? 1 } : counts;
  if (control.trials < minSamples || treatment.trials < minSamples) {
    // Looks before minSamples do not enter the running p-value: the normal approximation is poor there.
    return waiting(state, `waiting for minSamples ${minSamples} per arm: n=${treatment.trials}/${control.trials} (challenger/champion)`, carried);
  }
  const test = abZTest({ control, treatment, alpha: config.alpha });
  const numbers: AbNumbers = {
    ...carried,
    controlRate: test.controlRate,
    treatmentRate: test.treatmentRate,
    difference: test.difference,
    z: test.z,
    pValue: test.pValue,
    confidenceInterval: test.confidenceInterval,
  };
  return config.rule === 'fixed' ? decideFixed(state, test, numbers) : decideSequential(state, test, numbers);
}
