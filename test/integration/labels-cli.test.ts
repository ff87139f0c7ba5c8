// `mlops labels export|import` as a user runs them against the real prediction log: the most uncertain
// unlabelled predictions out as CSV, the filled-in file back in as feedback labels.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../core/labels/csv';
import { mlops } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-labels-'));
const scores = [0.97, 0.51, 0.03, 0.44, 0.8, 0.58, 0.2, 0.49];
const ids = scores.map(() => randomUUID());

beforeAll(async () => {
  s = await isolatedStores('labels');
  await s.pool.query(
    `INSERT INTO predictions (id, model, version, features, output)
     SELECT id, 'churn', 1, jsonb_build_object('age', 30 + n, 'plan', 'basic, "gold"'), jsonb_build_object('label', CASE WHEN p >= 0.5 THEN '1' ELSE '0' END, 'probabilities', jsonb_build_object('0', 1 - p, '1', p))
       FROM unnest($1::uuid[], $2::float8[]) WITH ORDINALITY AS t(id, p, n)`,
    [ids, scores],
  );
  // An already labelled prediction is not offered again.
  await s.pool.query(`INSERT INTO feedback (prediction_id, label) VALUES ($1, '1')`, [ids[7]]);
}, 60_000);

afterAll(async () => {
  await s.drop();
});

describe('mlops labels', () => {
  it('exports the most uncertain unlabelled predictions and imports the labels filled in', async () => {
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const file = path.join(dir, 'to-label.csv');
    const out = mlops(['labels', 'export', '--model', 'churn', '--sample', '3', '--strategy', 'uncertainty', '--out', file], env);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const rows = parseCsv(readFileSync(file, 'utf8'));
    expect(rows[0]).toEqual(['prediction_id', 'model', 'version', 'at', 'predicted', 'score', 'label', 'age', 'plan']);
    // Margins |2p − 1|: 0.51 → 0.02, 0.44 → 0.12, 0.58 → 0.16 (0.49 is labelled already).
    expect(rows.slice(1).map((r) => r[0])).toEqual([ids[1], ids[3], ids[5]]);
    expect(rows[1]!.slice(7)).toEqual(['32', 'basic, "gold"']);

    const filled = rows.map((r, k) => (k === 0 ? r : [...r.slice(0, 6), k === 1 ? '1' : k === 2 ? '0' : '', ...r.slice(7)]));
    writeFileSync(file, filled.map((r) => r.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')).join('\n'));
    const imported = mlops(['labels', 'import', file], env);
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringMatching(/imported 2 labels/) });
    const fed = await s.pool.query<{ prediction_id: string; label: string }>('SELECT prediction_id, label FROM feedback ORDER BY label, prediction_id');
    expect(new Map(fed.rows.map((r) => [r.prediction_id, r.label]))).toEqual(
      new Map([
        [ids[1], '1'],
        [ids[3], '0'],
        [ids[7], '1'],
      ]),
    );
  });

  it('refuses what it cannot do with exit 2 and a clear message', () => {
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const file = path.join(dir, 'x.csv');
    expect(mlops(['labels', 'export', '--model', 'churn', '--out', file, '--strategy', 'disagreement'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/needs a shadow rollout/),
    });
    expect(mlops(['labels', 'export', '--model', 'nobody', '--out', file], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no logged predictions without a label/),
    });
    writeFileSync(file, 'id,label\nx,1\n');
    expect(mlops(['labels', 'import', file], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/must have prediction_id and label columns/) });
  });
});
