// Production traffic for tests: the rows of a synthetic CSV (core/data/synth) as JSON instances, or written
// to the prediction log as a model version's logged features (what the model server would have logged).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** The CSV's rows as objects: `text` columns as strings, the others as numbers (empty = null). */
export function readSynthRows(file: string, text = ['plan', 'region', 'signup_date', 'customer_id']): Record<string, unknown>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, text.includes(c) ? v[i] : v[i] === '' ? null : Number(v[i])]));
  });
}

export async function logSynthTraffic(pool: pg.Pool, model: string, version: number, file: string): Promise<void> {
  const features = readSynthRows(file, ['plan', 'region', 'signup_date']);
  await pool.query(
    `INSERT INTO predictions (id, model, version, features, output) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::jsonb[])`,
    [
      features.map(() => randomUUID()),
      features.map(() => model),
      features.map(() => version),
      features.map((f) => JSON.stringify(f)),
      features.map(() => '{}'),
    ],
  );
}
