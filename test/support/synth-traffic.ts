// Production traffic for tests: the rows of a synthetic CSV (core/data/synth) as JSON instances, written
// to the prediction log as a model version's logged features (what the model server would have logged), or
// served by a running model server.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { waitFor } from './wait';

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

export interface ServedRow {
  id: string;
  /** The arm that answered (x-mlops-arm: champion, challenger). */
  arm: string;
  predicted: string;
  /** The row's true label, to send later as feedback. */
  label: string;
}

/**
 * Rows through a model server's V1 predict, 10 per request under one sticky key (`<keyPrefix>-<i>`); returns
 * once the server has logged every prediction (it logs in the background).
 */
export async function serveSynthRows(
  serverUrl: string,
  pool: pg.Pool,
  model: string,
  rows: Record<string, unknown>[],
  keyPrefix: string,
  target = 'churned',
): Promise<ServedRow[]> {
  const out: ServedRow[] = [];
  for (let i = 0; i < rows.length; i += 10) {
    const batch = rows.slice(i, i + 10);
    const res = await fetch(`${serverUrl}/v1/models/${model}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mlops-key': `${keyPrefix}-${i}` },
      body: JSON.stringify({ instances: batch.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== target))) }),
    });
    if (!res.ok) throw new Error(`predict ${model}: HTTP ${res.status} ${await res.text()}`);
    const arm = res.headers.get('x-mlops-arm') ?? '';
    const body = (await res.json()) as { predictions: { id: string; label: unknown }[] };
    body.predictions.forEach((p, k) => out.push({ id: p.id, arm, predicted: String(p.label), label: String(batch[k]![target]) }));
  }
  await waitFor('the served rows in the prediction log', async () => {
    const n = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[])', [out.map((r) => r.id)]);
    return n.rows[0]!.n === out.length || undefined;
  });
  return out;
}
