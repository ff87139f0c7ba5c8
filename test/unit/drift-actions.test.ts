import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/spec';
import { specForRun } from '../../workflows/run';

describe('acting on drift', () => {
  const base = { data: { uri: 'x.csv' }, target: 'y', features: { exclude: ['id'] } };

  it('retrains as specified by default', () => {
    const spec = parseSpec(base);
    expect(specForRun(spec, { trigger: 'drift', driftedColumns: ['age'] })).toEqual({ spec, note: null });
  });

  it('leaves the drifted features out with drop-drifted, only for drift-triggered runs, and says so', () => {
    const spec = parseSpec({ ...base, monitor: { onDrift: 'drop-drifted' } });
    const out = specForRun(spec, { trigger: 'drift', driftedColumns: ['age', 'plan'] });
    expect(out.spec.features.exclude).toEqual(['id', 'age', 'plan']);
    expect(out.note).toBe('monitor.onDrift drop-drifted: trained without age, plan');
    expect(specForRun(spec, { trigger: 'schedule', driftedColumns: ['age'] }).note).toBeNull();
  });

  it('reweights drift-triggered runs towards the monitor window of traffic, and says so', () => {
    const spec = parseSpec({ ...base, monitor: { onDrift: 'reweight', window: 600 } });
    const out = specForRun(spec, { trigger: 'drift', driftedColumns: ['age'] });
    expect(out.spec).toBe(spec);
    expect(out.reweight).toEqual({ windowSeconds: 600 });
    expect(out.note).toMatch(/reweight: training rows weighted towards the last 600 s/);
    expect(specForRun(spec, { trigger: 'manual' }).reweight).toBeUndefined();
  });

  it('refuses an unknown action', () => {
    expect(() => parseSpec({ ...base, monitor: { onDrift: 'panic' } })).toThrow(/spec.monitor.onDrift must be retrain, drop-drifted or reweight/);
  });
});
