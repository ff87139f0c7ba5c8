// Production traffic for monitor tests: the rows of a synthetic CSV written to the prediction log as a
// model version's logged features (what the model server would have logged for them).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

const TEXT_COLUMNS = ['plan', 'region', 'signup_date'];

export async function logSynthTraffic(pool: pg.Pool, model: string, version: number, file: string): Promise<void> {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const features = lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, TEXT_COLUMNS.includes(c) ? v[i] : v[i] === '' ? null : Number(v[i])]));
  });
  await pool.query(
    `INSERT INTO predictions (id, model, version, features, output) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::jsonb[])`,
    [features.map(() => randomUUID()), features.map(() => model), features.map(() => version), features.map((f) => JSON.stringify(f)), features.map(() => '{}')],
  );
}
