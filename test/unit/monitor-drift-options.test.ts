import { describe, expect, it } from 'vitest';
import { monitorDriftOptions, parseMonitorDrift } from '../../core/monitor/drift-options';
import { detectDrift, type DriftColumn } from '../../core/stats/drift';
import { sample } from './stats/reference';

const reference = sample(5000, 7919, 10007, 1);
const window = (n: number): DriftColumn => ({ name: 'income', kind: 'numeric', reference, current: sample(n, 4801, 9973, 3, 0.05) });

describe('monitor drift settings', () => {
  it('defaults to auto by the smaller sample: a 5,000-row reference against a small window gets KS', () => {
    const options = monitorDriftOptions(parseMonitorDrift({}), 'none');
    expect(options).toMatchObject({ method: 'auto', base: 'e', autoSizeOf: 'smaller', autoTestMaxValues: 1000 });
    const small = detectDrift([window(400)], options).columns[0]!;
    expect(small).toMatchObject({ method: 'ks', reason: 'auto: smaller sample of 400 values ≤ 1000, numeric → KS test' });
    expect(detectDrift([window(3000)], options).columns[0]).toMatchObject({ method: 'wasserstein' });
  });

  it('applies monitor.method with a numeric threshold, per-method thresholds and column overrides', () => {
    const forced = monitorDriftOptions(parseMonitorDrift({ method: 'psi', threshold: 0.1 }), 'bh');
    expect(forced).toMatchObject({ method: 'psi', correction: 'bh', thresholds: { psi: 0.1 } });
    expect(detectDrift([window(400)], forced).columns[0]).toMatchObject({ method: 'psi', threshold: 0.1, reason: 'chosen: psi' });
    const perMethod = monitorDriftOptions(
      parseMonitorDrift({ threshold: { ks: 0.01, jensenshannon: 0.2 }, columns: { income: { method: 'wasserstein', threshold: 0.3 } }, base: '2' }),
      'none',
    );
    expect(perMethod).toMatchObject({
      thresholds: { ks: 0.01, jensenshannon: 0.2 },
      base: '2',
      columnOverrides: { income: { method: 'wasserstein', threshold: 0.3 } },
    });
    expect(detectDrift([window(400)], perMethod).columns[0]).toMatchObject({ method: 'wasserstein', threshold: 0.3, reason: 'column override: wasserstein' });
  });

  it('treats fields present but undefined as defaults (monitors started before the fields existed)', () => {
    expect(monitorDriftOptions({ method: undefined, base: undefined }, 'none')).toMatchObject({ method: 'auto', base: 'e' });
  });

  it('names the spec field that is wrong', () => {
    expect(() => parseMonitorDrift({ method: 'ttest' })).toThrow(/monitor.method must be one of auto, ks/);
    expect(() => parseMonitorDrift({ threshold: 0.1 })).toThrow(/monitor.threshold as a number needs monitor.method other than auto/);
    expect(() => parseMonitorDrift({ method: 'ks', threshold: 2 })).toThrow(/monitor.threshold must be a significance level in \(0, 1\) for ks, got 2/);
    expect(() => parseMonitorDrift({ threshold: { foo: 0.1 } })).toThrow(/monitor.threshold.foo must be a method name/);
    expect(() => parseMonitorDrift({ columns: { age: { threshold: 0.1 } } })).toThrow(/monitor.columns.age.threshold needs monitor.columns.age.method/);
    expect(() => parseMonitorDrift({ columns: { age: { metod: 'ks' } } })).toThrow(/monitor.columns.age.metod must be absent/);
    expect(() => parseMonitorDrift({ base: 10 })).toThrow(/monitor.base must be "e" or "2"/);
    expect(() => parseMonitorDrift({ autoTestMaxValues: -1 })).toThrow(/monitor.autoTestMaxValues must be a whole number/);
  });
});
