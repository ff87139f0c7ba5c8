// Hostile pipeline specs: whatever JSON arrives (CLI --spec file, the Temporal UI's Start Workflow form, a
// schedule), parseSpec returns a spec or throws a SpecError naming the spec field — never another error
// type. In a workflow any other error would fail the workflow task, which Temporal retries for ever: a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALENDARS } from '../../../core/features/holidays';
import { FeatureSetError, parseFeatureSet } from '../../../core/featurestore/definition';
import { parseSpec, SpecError, type PipelineSpec } from '../../../core/spec';

const TOP = [
  'name',
  'data',
  'target',
  'task',
  'time',
  'features',
  'governance',
  'selection',
  'validation',
  'training',
  'slices',
  'costs',
  'gates',
  'deploy',
  'monitor',
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A valid spec that sets most fields, so mutations reach deep into every section. */
const VALID: Json = {
  name: 'churn',
  data: { uri: 's3://mlops/in/churn.csv', format: 'csv', delimiter: ',', keys: ['customer_id'], feedback: true },
  target: 'churned',
  task: 'binary',
  time: 'signup_date',
  features: {
    include: ['age', 'plan'],
    exclude: ['customer_id'],
    topK: 20,
    encodings: { plan: 'onehot', age: 'standardize', size: { encoding: 'ordinal', order: ['S', 'M', 'L'] } },
    derive: [
      { name: 'month', op: 'month', input: 'signup_date' },
      { name: 'calls_per_month', op: 'ratio', inputs: ['support_calls', 'tenure_months'] },
      { name: 'age_band', op: 'bucketize', input: 'age', boundaries: [30, 45, 60] },
      { name: 'score', op: 'weighted_sum', inputs: ['age', 'income'], weights: [0.5, 0.1] },
      { name: 'plan_region', op: 'cross', inputs: ['plan', 'region'] },
      { name: 'holiday', op: 'holiday', input: 'signup_date', calendar: 'us-federal' },
    ],
  },
  governance: {
    prohibited: ['ssn'],
    protected: ['region'],
    license: 'internal',
    purpose: 'retention',
    minGroupSize: 30,
    minGroupShare: 0.01,
    onSmallGroup: 'warn',
    logProtected: 'hash',
  },
  selection: { maxMissingFraction: 0.5, maxTopShare: 0.99, maxCorrelation: 0.95, sampleRows: 10_000, topK: 10 },
  validation: { minRows: 10, maxMissingFraction: 0.5, maxUnexpectedFraction: 0.01, maxOutOfRangeFraction: 0.01 },
  training: {
    algorithms: ['logistic', 'gbdt'],
    l2: [0.1, 1],
    gbdt: { maxIter: 50, learningRate: [0.1], maxLeaves: [15], minSamplesLeaf: [20] },
    trials: 4,
    timeBudgetSeconds: 60,
    searchRows: 50_000,
    validation: { strategy: 'kfold', folds: 3, validationFraction: 0.2, testFraction: 0.2 },
    metric: 'average_precision',
    seed: 7,
  },
  slices: ['region'],
  costs: { fp: 1, fn: 5, tp: 0, tn: 0 },
  gates: { min: { auc: 0.6 }, maxRegression: { auc: { absolute: 0.02, relative: 0.05 } }, maxFairnessGap: 0.2, maxP99LatencyMs: 50 },
  deploy: {
    alias: 'production',
    strategy: 'canary',
    share: 0.1,
    test: { alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.02, rule: 'sequential', minSamples: 100, interval: 60, maxDuration: 86_400 },
  },
  monitor: {
    enabled: true,
    interval: 300,
    window: 3600,
    coolDown: 3600,
    minRows: 50,
    correction: 'bh',
    maxPerformanceDrop: 0.05,
    minLabels: 30,
    onDrift: 'retrain',
    maxSkew: 0.01,
    method: 'ks',
    threshold: 0.01,
    columns: { plan: { method: 'jensenshannon', threshold: 0.2 } },
    base: 'e',
    autoTestMaxValues: 1000,
    domainClassifier: { enabled: true, alpha: 0.01, permutations: 999 },
    maxEstimatedDrop: 0.05,
    onEstimatedDrop: 'retrain',
  },
};

/** Every path into a JSON value (object keys and array indexes), the empty path included. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

/** A deep copy of `v` with the value at `path` replaced (or removed when `value` is undefined). */
function setAt(v: Json, path: (string | number)[], value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy: Json = Array.isArray(v) ? [...v] : { ...(v as Record<string, Json>) };
  const next = setAt((copy as Record<string | number, Json>)[head!]!, rest, value);
  if (next === undefined) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete (copy as Record<string, Json>)[head as string];
  } else (copy as Record<string | number, Json>)[head!] = next;
  return copy;
}

const ALL_PATHS = paths(VALID);

/**
 * A parse this slow means the parser crawls (backtracking, deep recursion): far above the microseconds a spec
 * takes, so a loaded machine (this suite also runs inside level-2 builds, beside other work) never trips it.
 */
const SLOW_MS = 2_000;

/** Parses, timing the call: a pathological input must not make the parser crawl. */
function outcome(raw: unknown): { spec?: PipelineSpec; error?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    const spec = parseSpec(raw);
    return { spec, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

function expectClearRefusal(error: unknown, raw: unknown): void {
  expect(error).toBeInstanceOf(SpecError);
  const message = (error as SpecError).message;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) expect(message).toMatch(/\bspec[.[]/);
  else expect(message).toBe('the spec must be a JSON object with at least data.uri and target');
}

/** An accepted spec is its own fixed point: the echoed defaults are valid input that parses the same. */
function expectFixedPoint(spec: PipelineSpec): void {
  expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(JSON.parse(JSON.stringify(spec)));
}

const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
/** Values that sit on the edges of what fields accept. */
const edgy: fc.Arbitrary<Json> = fc.oneof(
  json,
  fc.constantFrom<Json>(
    '',
    ' ',
    '__proto__',
    'constructor',
    'toString',
    '../x',
    'a'.repeat(10_000),
    0,
    -1,
    1e308,
    -0,
    0.5,
    2 ** 32,
    1e-9,
    [],
    {},
    [''],
    [null],
    { '': 1 },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('parseSpec under hostile input', () => {
  it('valid base spec parses (the generators below start from it)', () => {
    const spec = parseSpec(VALID);
    expect(spec.name).toBe('churn');
    expectFixedPoint(spec);
  });

  it('any JSON value: a spec or a SpecError, never another error, never slow', () => {
    fc.assert(
      fc.property(json, (raw) => {
        const r = outcome(raw);
        if (r.error !== undefined) expectClearRefusal(r.error, raw);
        expect(r.ms).toBeLessThan(SLOW_MS);
      }),
      { numRuns: 500 },
    );
  });

  it('objects with spec fields holding arbitrary values: a spec or a SpecError naming a spec field', () => {
    const raw = fc.dictionary(fc.constantFrom(...TOP, 'run', 'bogus', '__proto__', 'constructor'), edgy, { maxKeys: 8 });
    fc.assert(
      fc.property(raw, (r) => {
        const o = outcome(r);
        if (o.error !== undefined) expectClearRefusal(o.error, r);
        else expectFixedPoint(o.spec!);
        expect(o.ms).toBeLessThan(SLOW_MS);
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid spec with one value replaced, removed or added: a spec, or a SpecError that names the changed section', () => {
    const mutation = fc.record({
      path: fc.constantFrom(...ALL_PATHS.filter((p) => p.length > 0)),
      value: fc.option(edgy, { nil: undefined }),
      extraKey: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ path, value, extraKey }) => {
        let raw = setAt(VALID, path, value) as Record<string, Json>;
        // Or an unknown key next to the changed one.
        if (extraKey !== undefined && path.length > 1) {
          const parent = path.slice(0, -1);
          const at = parent.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k]!, raw);
          if (at && typeof at === 'object' && !Array.isArray(at) && !(extraKey in at)) raw = setAt(raw, [...parent, extraKey], 1) as Record<string, Json>;
        }
        const o = outcome(raw);
        if (o.error !== undefined) {
          expectClearRefusal(o.error, raw);
          // Names the section that changed (cross-field checks name the other field of the pair).
          const section = String(path[0]);
          const pairs: Record<string, string[]> = { time: ['features'], target: ['features'], features: ['time'], data: [] };
          const named = [section, ...(pairs[section] ?? [])].some((s) => (o.error as Error).message.includes(`spec.${s}`));
          expect(named, `${(o.error as Error).message} (changed ${path.join('.')})`).toBe(true);
        } else {
          expectFixedPoint(o.spec!);
        }
        expect(o.ms).toBeLessThan(SLOW_MS);
      }),
      { numRuns: 1500 },
    );
  });

  it('feature-set definitions (`mlops features apply FILE`): a definition or a FeatureSetError, never another error', () => {
    const valid: Json = {
      name: 'customer_stats',
      entity: 'customer_id',
      timestamp: 'updated_at',
      source: { uri: 'data/customer_stats.csv', format: 'csv' },
      columns: ['avg_spend', 'visits', 'plan'],
      features: { derive: [{ name: 'log_spend', op: 'log1p', input: 'avg_spend' }] },
    };
    const setPaths = paths(valid).filter((p) => p.length > 0);
    const raw = fc.oneof(
      json,
      fc.record({ path: fc.constantFrom(...setPaths), value: fc.option(edgy, { nil: undefined }) }).map(({ path, value }) => setAt(valid, path, value)),
    );
    expect(parseFeatureSet(valid).name).toBe('customer_stats');
    fc.assert(
      fc.property(raw, (r) => {
        try {
          parseFeatureSet(r);
        } catch (err) {
          expect(err).toBeInstanceOf(FeatureSetError);
          expect((err as Error).message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 1000 },
    );
  });

  // Names of Object.prototype members once passed as calendars ("toString" marked every day a holiday).
  it('accepts only holiday calendars that exist', () => {
    for (const calendar of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const r = outcome({ data: { uri: 'x.csv' }, target: 't', features: { derive: [{ name: 'h', op: 'holiday', input: 'd', calendar }] } });
      expect(r.error, calendar).toBeInstanceOf(SpecError);
      expect(Object.hasOwn(CALENDARS, calendar)).toBe(false);
    }
  });
});
