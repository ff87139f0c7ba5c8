import { describe, expect, it } from 'vitest';
import { defaultName, parseSpec, SpecError } from '../../core/spec';

describe('PipelineSpec', () => {
  it('needs only data.uri and target, and echoes every default', () => {
    const s = parseSpec({ data: { uri: 's3://mlops/raw/churn.csv' }, target: 'churned' });
    expect(s.name).toBe('churn-churned');
    expect(s.training).toEqual({
      algorithms: [],
      l2: [0.01, 0.1, 1, 10],
      gbdt: { maxIter: 100, learningRate: [0.1], maxLeaves: [31], minSamplesLeaf: [20] },
      trials: 8,
      timeBudgetSeconds: null,
      searchRows: null,
      maxRows: 5_000_000,
      validation: { strategy: 'holdout', folds: 5, validationFraction: 0.2, testFraction: 0.2 },
      refit: 'auto',
      seed: 42,
    });
    expect(s.deploy).toEqual({
      alias: 'production',
      strategy: 'replace',
      share: 0.1,
      test: { alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.02, rule: 'sequential', minSamples: 100, interval: 60, maxDuration: 604_800 },
      targets: ['server'],
    });
    expect(parseSpec({ data: { uri: 'x.csv' }, target: 'y', deploy: { strategy: 'ab' } }).deploy.share).toBe(0.5);
    expect(s.gates).toEqual({ min: {}, maxRegression: {}, maxFairnessGap: null, maxP99LatencyMs: null, maxBundleBytes: null, maxEdgeP99Ms: null });
    expect(s.governance).toMatchObject({ prohibited: [], protected: [], minGroupSize: 30, onSmallGroup: 'warn' });
    expect(s.monitor).toMatchObject({ method: 'auto', threshold: null, columns: {}, base: 'e', autoTestMaxValues: 1000 });
    expect(s.training.metric).toBeUndefined(); // the task's default: roc_auc, log_loss or rmse
    expect(parseSpec(s)).toEqual(s); // a parsed spec parses to itself
  });

  it('takes monitor tests, a search metric and an ordinal order', () => {
    const s = parseSpec({
      data: { uri: 'x.csv' },
      target: 'y',
      costs: { fp: 1, fn: 5 },
      training: { metric: 'expected_cost' },
      features: { encodings: { size: { encoding: 'ordinal', order: ['S', 'M', 'L'] }, plan: 'onehot' } },
      monitor: { method: 'ks', threshold: 0.01, columns: { plan: { method: 'jensenshannon', threshold: 0.2 } }, base: '2' },
    });
    expect(s.training.metric).toBe('expected_cost');
    expect(s.features.encodings).toEqual({ size: { encoding: 'ordinal', order: ['S', 'M', 'L'] }, plan: 'onehot' });
    expect(s.monitor).toMatchObject({ method: 'ks', threshold: 0.01, columns: { plan: { method: 'jensenshannon', threshold: 0.2 } }, base: '2' });
    expect(parseSpec(s)).toEqual(s);
  });

  it("ignores the run block, which carries the trigger, and an editor's $schema", () => {
    expect(parseSpec({ data: { uri: 'x.csv' }, target: 'y', run: { trigger: 'schedule' } }).name).toBe('x-y');
    const spec = parseSpec({ $schema: './schema/pipeline-spec.schema.json', data: { uri: 'x.csv' }, target: 'y' });
    expect(spec).not.toHaveProperty('$schema');
  });

  it('reports every wrong field at once, one per line', () => {
    const err = (() => {
      try {
        parseSpec({ data: { uri: 'x.csv' }, target: 'y', training: { trials: 0, seed: -1 }, monitor: { onDrift: 'panic' }, bogus: 1 });
      } catch (e) {
        return e as SpecError;
      }
      throw new Error('accepted');
    })();
    expect(err.messages).toEqual([
      'spec.training.trials must be an integer from 1 to 1000, got 0',
      'spec.training.seed must be an integer from 0 to 4294967295, got -1',
      'spec.monitor.onDrift must be retrain, drop-drifted or reweight, got "panic"',
      'spec.bogus is not a spec field (fields: name, data, target, task, time, features, governance, selection, validation, training, slices, costs, gates, deploy, monitor, alerts)',
    ]);
    expect(err.message).toBe(err.messages.join('\n'));
  });

  it('rejects bad specs naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /must be a JSON object/],
      [{ target: 'y' }, /spec.data.uri is required/],
      [{ data: { uri: 'x.csv' } }, /spec.target is required/],
      [{ data: { uri: 'x.csv' }, target: 'y', trainig: {} }, /spec.trainig is not a spec field/],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { trials: 0 } }, /spec.training.trials must be an integer from 1 to 1000, got 0/],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { searchRows: 5 } }, /spec.training.searchRows must be an integer from 100 to 1000000000, got 5/],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { maxRows: 99 } }, /spec.training.maxRows must be an integer from 100 to 1000000000, got 99/],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { searchRows: 1e5 + 0.5 } }, /spec.training.searchRows must be an integer/],
      [
        { data: { uri: 'x.csv' }, target: 'y', training: { algorithms: ['xgboost'] } },
        /spec.training.algorithms\[0\] must be logistic, ridge or gbdt, got "xgboost"/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { refit: 'always' } }, /spec.training.refit must be auto, reuse or full, got "always"/],
      [
        { data: { uri: 'x.csv' }, target: 'y', training: { refit: 'reuse', validation: { strategy: 'kfold' } } },
        /training.refit is "reuse" but training.validation.strategy is "kfold": .* use "full" or "auto"/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', task: 'ranking' }, /spec.task must be binary, multiclass or regression/],
      [{ data: { uri: 'x.csv' }, target: 'y', name: 'Bad Name' }, /spec.name must be/],
      [{ data: { uri: 'x.csv' }, target: 'y', gates: { min: { auc: 'high' } } }, /spec.gates.min.auc must be a number/],
      [{ data: { uri: 'x.csv' }, target: 'y', features: { derive: [{ name: 'a', op: 'nope', input: 'b' }] } }, /spec.features.derive\[0\] \(a\).op "nope"/],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { strategy: 'yolo' } }, /spec.deploy.strategy must be replace, canary, ab or shadow/],
      [
        { data: { uri: 'x.csv' }, target: 'y', deploy: { strategy: 'canary', share: 1 } },
        /spec.deploy.share must be a share of traffic strictly between 0 and 1 for canary, got 1/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { test: { rule: 'bayes' } } }, /spec.deploy.test.rule must be sequential or fixed/],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { test: { alpha: 0.9 } } }, /spec.deploy.test.alpha must be a number from 0.000001 to 0.5, got 0.9/],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { test: { maxDurationDays: 3 } } }, /spec.deploy.test.maxDurationDays/],
      [{ data: { uri: 'x.csv' }, target: 'y', data2: 1 }, /spec.data2 is not a spec field/],
      [{ data: { uri: 'x.csv' }, target: 'y', '': 1 }, /spec\[""\] is not a spec field/],
      [{ data: { uri: 'x.csv', 'a b': 1 }, target: 'y' }, /spec\.data\["a b"\] is not a field of data/],
      [{ data: { uri: 'x.csv', feedback: 'yes' }, target: 'y' }, /spec.data.feedback must be true or false/],
      [{ data: { uri: 'x.csv' }, target: 'y', monitor: { maxSkew: 2 } }, /spec.monitor.maxSkew must be a number from 0 to 1, got 2/],
      [
        { data: { uri: 'x.csv' }, target: 'y', monitor: { method: 'ttest' } },
        /spec.monitor.method must be auto, ks, chisquare, ztest, psi, jensenshannon or wasserstein, got "ttest"/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', monitor: { threshold: 0.2 } }, /spec.monitor.threshold as a number needs monitor.method other than auto/],
      [
        { data: { uri: 'x.csv' }, target: 'y', monitor: { columns: { age: { threshold: 0.2 } } } },
        /spec.monitor.columns.age.threshold needs monitor.columns.age.method/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', monitor: { base: 10 } }, /spec.monitor.base must be e or 2, got 10/],
      [
        { data: { uri: 'x.csv' }, target: 'y', training: { metric: 'auc' } },
        /spec.training.metric must be roc_auc, average_precision, log_loss, f1, accuracy, expected_cost, rmse, mae or r2, got "auc"/,
      ],
      [
        { data: { uri: 'x.csv' }, target: 'y', task: 'regression', training: { metric: 'f1' } },
        /spec.training.metric must be one of rmse, mae, r2 for a regression task/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', training: { metric: 'expected_cost' } }, /spec.training.metric "expected_cost" needs spec.costs/],
      [
        { data: { uri: 'x.csv' }, target: 'y', features: { encodings: { size: { encoding: 'ordinal', order: [] } } } },
        /spec.features.encodings.size.order must be a non-empty list/,
      ],
      [
        { data: { uri: 'x.csv' }, target: 'y', features: { encodings: { size: { encoding: 'ordinal', order: ['S', 'S'] } } } },
        /spec.features.encodings.size.order lists "S" twice/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { targets: ['edge'] } }, /spec.deploy.targets must include "server"/],
      [
        { data: { uri: 'x.csv' }, target: 'y', deploy: { targets: ['server', 'phone'] } },
        /spec.deploy.targets\[1\] must be server, edge or browser, got "phone"/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', deploy: { targets: ['server', 'edge', 'edge'] } }, /spec.deploy.targets names a target twice/],
      [
        { data: { uri: 'x.csv' }, target: 'y', gates: { maxBundleBytes: { phone: 1 } } },
        /spec.gates.maxBundleBytes.phone is not a field of gates.maxBundleBytes/,
      ],
      [{ data: { uri: 'x.csv' }, target: 'y', gates: { maxEdgeP99Ms: -1 } }, /spec.gates.maxEdgeP99Ms must be a number from 0 to 1000000, got -1/],
    ];
    for (const [input, message] of bad) expect(() => parseSpec(input)).toThrow(message);
    expect(() => parseSpec({})).toThrow(SpecError);
  });

  it('derives a registry-safe default name', () => {
    expect(defaultName('/data/Seattle Weather.csv', 'weather')).toBe('seattle-weather-weather');
  });
});
