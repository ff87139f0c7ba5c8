// The online store: the latest feature values per entity of a set version, in Postgres. Reads are on the
// model server's hot path: one prepared, parameterized query over the primary key, however many entities.
import type pg from 'pg';

export type FeatureValue = number | string | null;

export interface OnlineFeatures {
  /** Feature name → value (numbers, strings for categorical features; null = missing). */
  values: Record<string, FeatureValue>;
  /** Event time of the source row the values come from (millisecond precision). */
  eventTime: Date;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

const LOOKUP = `SELECT entity, event_time, feature_values FROM online_features
                 WHERE set_name = $1 AND version = $2 AND entity = ANY($3::text[])`;

/**
 * The online values of `entities` (a Map without the entities the store has never seen). Pin `version`
 * to the one the model was trained with: a newer version may define different features.
 */
export async function getOnlineFeatures(db: Queryable, set: { name: string; version: number }, entities: string[]): Promise<Map<string, OnlineFeatures>> {
  const out = new Map<string, OnlineFeatures>();
  if (entities.length === 0) return out;
  // A named statement is parsed and planned once per connection.
  const res = await db.query<{ entity: string; event_time: Date; feature_values: Record<string, FeatureValue> }>({
    name: 'mlops-online-features',
    text: LOOKUP,
    values: [set.name, set.version, entities],
  });
  for (const r of res.rows) out.set(r.entity, { values: r.feature_values, eventTime: r.event_time });
  return out;
}

export interface OnlineBatch {
  entities: string[];
  /** ISO timestamps (microseconds kept). */
  eventTimes: string[];
  /** JSON objects, one per entity (valid JSON never holds a raw U+001E, which separates them on the way). */
  values: string[];
}

/**
 * Upserts one batch (each entity at most once). A stored value is replaced only by one whose event time is
 * the same or later, so a late, older row can never overwrite a newer one. Returns the rows written.
 */
export async function writeOnlineFeatures(db: Queryable, set: { name: string; version: number }, batch: OnlineBatch): Promise<number> {
  if (batch.entities.length === 0) return 0;
  const res = await db.query(
    `INSERT INTO online_features AS o (set_name, version, entity, event_time, feature_values)
     SELECT $1, $2, u.entity, u.event_time, u.feature_values
       FROM unnest($3::text[], $4::timestamptz[], string_to_array($5, E'\\x1e')::json[]) AS u (entity, event_time, feature_values)
     ON CONFLICT (set_name, version, entity) DO UPDATE
       SET event_time = EXCLUDED.event_time, feature_values = EXCLUDED.feature_values, updated_at = now()
       WHERE o.event_time <= EXCLUDED.event_time`,
    [set.name, set.version, batch.entities, batch.eventTimes, batch.values.join('\x1e')],
  );
  return res.rowCount ?? 0;
}
