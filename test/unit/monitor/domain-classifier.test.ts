import { describe, expect, it } from 'vitest';
import { domainClassifierCheck } from '../../../core/monitor/domain-classifier';
import type { DriftColumn } from '../../../core/stats/drift';
import { domainColumns } from '../../../bench/monitoring-data';

const small = { maxRows: 1000, permutations: 199 };

describe('domain-classifier drift check', () => {
  it('stays quiet on calm traffic: a held-out AUC near 0.5, below its permutation threshold', () => {
    let alarms = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = domainClassifierCheck(domainColumns({ reference: 1000, current: 400, seed }), small);
      expect(Math.abs(r.auc - 0.5)).toBeLessThan(0.08);
      expect(r.threshold).toBeGreaterThan(0.5);
      if (r.drift) alarms++;
    }
    // alpha 0.01: P(2 or more alarms in 10 calm windows) ≈ 0.004
    expect(alarms).toBeLessThanOrEqual(1);
  });

  it('flags a shift spread thinly over every numeric column, and names them as the separating features', () => {
    const r = domainClassifierCheck(domainColumns({ reference: 1000, current: 400, seed: 3, shift: 0.3 }), small);
    expect(r).toMatchObject({ drift: true, referenceRows: 1000, currentRows: 400, permutations: 199, alpha: 0.01 });
    expect(r.auc).toBeGreaterThan(r.threshold);
    expect(r.pValue).toBe(0.005); // beats all 199 permutations: 1 / 200
    expect(r.top).toHaveLength(5);
    for (const t of r.top) expect(t.name).toMatch(/^x\d$/);
  });

  it('sees a change of spread with the mean unchanged (decile bins, not only means)', () => {
    const r = domainClassifierCheck(domainColumns({ reference: 1000, current: 400, seed: 5, spread: 1.5 }), small);
    expect(r.drift).toBe(true);
  });

  it('names a shifted categorical column first', () => {
    const columns = domainColumns({ reference: 1000, current: 400, seed: 7 });
    const plan = columns.find((c) => c.name === 'plan') as Extract<DriftColumn, { kind: 'categorical' }>;
    plan.current = plan.current.map((v, i) => (i % 3 === 0 ? 'enterprise' : v));
    const r = domainClassifierCheck(columns, small);
    expect(r.drift).toBe(true);
    expect(r.top[0]!.name).toBe('plan');
  });

  it('is reproducible for a seed and rejects bad options', () => {
    const columns = domainColumns({ reference: 500, current: 200, seed: 9 });
    expect(domainClassifierCheck(columns, { ...small, seed: 4 })).toEqual(domainClassifierCheck(columns, { ...small, seed: 4 }));
    expect(() => domainClassifierCheck(columns, { permutations: 0 })).toThrow(/permutations must be a whole number ≥ 1/);
    expect(() => domainClassifierCheck(columns, { alpha: 1 })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => domainClassifierCheck([])).toThrow(/no columns/);
  });
});
