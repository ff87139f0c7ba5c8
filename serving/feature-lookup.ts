// Online feature lookup for models trained with feature sets: an instance that lacks a set's fields but
// carries the entity key gets them from the online store, at the set version the model was trained with.
// One query per set per request, for all of its instances. Values the request carries win (an explicit
// null too); an entity the store has never seen gets nulls, which the model's imputers treat as missing.
import type pg from 'pg';
import { getOnlineFeatures } from '../core/featurestore/online';
import type { ServedModel } from './model-host';

export interface LookupCounts {
  /** Instances that needed a lookup and found their entity / did not. */
  hits: number;
  misses: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An entity key as the store holds it (text); undefined when the instance carries none usable. */
function entityKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 && v.length <= 256 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * The instances with absent set fields filled in (new objects; the given ones are not changed). Anything
 * that is not a list of objects is returned as it is, for checkInstances to refuse.
 */
export async function withOnlineFeatures(
  db: Pick<pg.Pool, 'query'>,
  model: ServedModel,
  instances: unknown,
): Promise<{ instances: unknown; counts: LookupCounts }> {
  const counts = { hits: 0, misses: 0 };
  if (model.featureSets.length === 0 || !Array.isArray(instances)) return { instances, counts };
  const out = instances.slice();
  await Promise.all(
    model.featureSets.map(async (set) => {
      const wanted = new Map<number, string>();
      out.forEach((inst, i) => {
        if (!isRecord(inst) || set.fields.every(([, field]) => Object.hasOwn(inst, field))) return;
        const key = entityKey(inst[set.entity]);
        if (key !== undefined) wanted.set(i, key);
      });
      if (wanted.size === 0) return;
      const found = await getOnlineFeatures(db, set, [...new Set(wanted.values())]);
      for (const [i, key] of wanted) {
        const stored = found.get(key)?.values;
        if (stored) counts.hits++;
        else counts.misses++;
        // Synchronous from here: two sets filling one instance never interleave.
        const row: Record<string, unknown> = { ...(out[i] as Record<string, unknown>) };
        for (const [feature, field] of set.fields) if (!Object.hasOwn(row, field)) row[field] = stored?.[feature] ?? null;
        out[i] = row;
      }
    }),
  );
  return { instances: out, counts };
}
