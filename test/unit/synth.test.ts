import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYNTH_COLUMNS, validateSynthOptions, writeSynthCsv } from '../../core/data/synth';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-synth-'));
async function rows(name: string, opts: Parameters<typeof writeSynthCsv>[1]): Promise<string[][]> {
  const file = path.join(dir, name);
  await writeSynthCsv(file, opts);
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('synthetic data', () => {
  it('is reproducible from its seed and different across seeds', async () => {
    const a = await rows('a.csv', { rows: 2000, seed: 7 });
    const b = await rows('b.csv', { rows: 2000, seed: 7 });
    const c = await rows('c.csv', { rows: 2000, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a[0]).toEqual([...SYNTH_COLUMNS]);
    expect(a).toHaveLength(2001);
  });

  it('has a label related to the features, and drift shifts the distributions', async () => {
    const base = (await rows('base.csv', { rows: 20000, seed: 1 })).slice(1);
    const shifted = (await rows('shift.csv', { rows: 20000, seed: 1, drift: 1 })).slice(1);
    const col = (r: string[][], name: (typeof SYNTH_COLUMNS)[number]) => r.map((x) => Number(x[SYNTH_COLUMNS.indexOf(name)]));
    const churned = base.filter((r) => r[9] === '1');
    const stayed = base.filter((r) => r[9] === '0');
    expect(mean(col(churned, 'support_calls'))).toBeGreaterThan(mean(col(stayed, 'support_calls')) + 0.5);
    expect(mean(col(churned, 'tenure_months'))).toBeLessThan(mean(col(stayed, 'tenure_months')) - 5);
    const rate = mean(col(base, 'churned'));
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.6);
    expect(mean(col(shifted, 'age')) - mean(col(base, 'age'))).toBeGreaterThan(6);
    expect(base.filter((r) => r[3] === '').length / base.length).toBeCloseTo(0.02, 2);
  });

  it('rejects bad options naming the option', () => {
    expect(() => validateSynthOptions({ rows: 0 })).toThrow(/rows/);
    expect(() => validateSynthOptions({ rows: 10, drift: -1 })).toThrow(/drift/);
    expect(() => validateSynthOptions({ rows: 10, seed: 1.5 })).toThrow(/seed/);
  });
});
