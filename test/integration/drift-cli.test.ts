// `mlops drift` as a user runs it: local files and s3:// URIs, JSON and table output, the HTML report.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import { mlops } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-drift-'));
const ref = path.join(dir, 'reference.csv');
const same = path.join(dir, 'same.csv');
const shifted = path.join(dir, 'shifted.csv');

beforeAll(async () => {
  s = await isolatedStores('drift');
  await writeSynthCsv(ref, { rows: 800, seed: 4 });
  await writeSynthCsv(same, { rows: 800, seed: 5 });
  await writeSynthCsv(shifted, { rows: 800, seed: 3, drift: 1.5 });
}, 60_000);
afterAll(async () => {
  await s.drop();
});

interface Out {
  columns: {
    name: string;
    type: string;
    method: string;
    statistic: number;
    pValue: number | null;
    adjustedPValue: number | null;
    threshold: number;
    drifted: boolean;
  }[];
  driftedShare: number;
  datasetDrift: boolean;
}

describe('mlops drift', () => {
  it('finds the shifted columns of a small sample with KS and chi-squared, and no drift between two draws of the same distribution', () => {
    const r = mlops(['drift', '--reference', ref, '--current', shifted, '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Out;
    const by = Object.fromEntries(out.columns.map((c) => [c.name, c]));
    expect(by.age).toMatchObject({ type: 'numeric', method: 'ks', drifted: true });
    expect(by.plan).toMatchObject({ type: 'categorical', method: 'chisquare', drifted: true });
    expect(by.age!.pValue).toBeLessThan(1e-6);
    expect(out.datasetDrift).toBe(true);
    const calm = JSON.parse(mlops(['drift', '--reference', ref, '--current', same, '--json', '--correction', 'bonferroni']).stdout) as Out;
    expect(calm.columns.filter((c) => c.drifted).map((c) => c.name)).toEqual([]);
    expect(calm.datasetDrift).toBe(false);
    for (const c of calm.columns)
      if (c.pValue !== null) expect(c.adjustedPValue).toBe(Math.min(1, c.pValue * calm.columns.filter((x) => x.pValue !== null).length));
  });

  it('forces a method where it fits and reads s3:// inputs', async () => {
    const a = await s.artifacts.putFile('drift/reference.csv', ref);
    const b = await s.artifacts.putFile('drift/shifted.csv', shifted);
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const out = JSON.parse(mlops(['drift', '--reference', a.uri, '--current', b.uri, '--method', 'psi', '--json', '--store'], env).stdout) as Out & {
      report: { json: string; html: string };
    };
    expect(out.columns.every((c) => c.method === 'psi')).toBe(true);
    // The same result as a JSON artifact, and the HTML page, in the artifact store.
    const stored = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(out.report.json))).toString()) as Out;
    expect(stored.columns.map((c) => c.statistic)).toEqual(out.columns.map((c) => c.statistic));
    expect((await s.artifacts.getBuffer(s.artifacts.keyOf(out.report.html))).toString()).toMatch(/^<!DOCTYPE html>/i);
    expect(out.columns.find((c) => c.name === 'support_calls')?.drifted).toBe(true);
  });

  it('measures Jensen–Shannon in base e by default and in base 2 on request, and says why each test ran', () => {
    const e = JSON.parse(mlops(['drift', '--reference', ref, '--current', shifted, '--method', 'jensenshannon', '--json']).stdout) as Out & {
      base: string;
      columns: { reason: string }[];
    };
    const two = JSON.parse(mlops(['drift', '--reference', ref, '--current', shifted, '--method', 'jensenshannon', '--base', '2', '--json']).stdout) as Out & {
      base: string;
    };
    expect([e.base, two.base]).toEqual(['e', '2']);
    const moved = e.columns.flatMap((c, i) => (c.statistic > 0 ? [i] : []));
    expect(moved.length).toBeGreaterThan(3);
    for (const i of moved) expect(two.columns[i]!.statistic / e.columns[i]!.statistic).toBeCloseTo(1 / Math.sqrt(Math.LN2), 12);
    expect(e.columns[0]!.reason).toBe('chosen: jensenshannon');
    expect(mlops(['drift', '--reference', ref, '--current', same, '--base', '10'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--base "10" is not e or 2/),
    });
  });

  it('writes a self-contained HTML report with drifted columns first and a readable table', () => {
    const html = path.join(dir, 'report.html');
    const r = mlops(['drift', '--reference', ref, '--current', shifted, '--html', html]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^column\s+type\s+method/);
    expect(r.stdout).toMatch(/dataset drift YES/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<svg/);
    expect(page).not.toMatch(/<script|https?:\/\//);
    expect(page.indexOf('age')).toBeLessThan(page.indexOf('customer_id'));
  });

  it('rejects bad arguments and bad files with exit 2 and a clear message', () => {
    expect(mlops(['drift', '--reference', ref])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--reference and --current are both required/) });
    expect(mlops(['drift', '--reference', ref, '--current', same, '--method', 'magic'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--method "magic" is not one of auto, ks/),
    });
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect(mlops(['drift', '--reference', ref, '--current', empty])).toMatchObject({ code: 2, stderr: expect.stringMatching(/empty\.csv: the file is empty/) });
  });
});
