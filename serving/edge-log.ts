// POST /v1/models/{name}:log — predictions made elsewhere (an exported edge bundle) join the prediction log,
// so drift monitoring, concept-drift checks and feedback see them like the server's own. Body:
// {"predictions":[{"id": uuid, "version": n, "features": {…}, "output": {…}}]} (the edge scorer's buffer).
// Ids are the caller's: a retried post is logged once (the insert ignores a known id).
import type pg from 'pg';
import { RequestError, MAX_INSTANCES, PREDICTION_ID } from '../core/predict/score';
import type { PredictionLog } from './prediction-log';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function logEdgePredictions(pool: pg.Pool, log: PredictionLog, model: string, body: Record<string, unknown>): Promise<{ accepted: number }> {
  const list = body.predictions;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_INSTANCES)
    throw new RequestError(400, `"predictions" must be a list of 1 to ${MAX_INSTANCES} {id, version, features, output}`);
  const bad = list.findIndex(
    (p) =>
      !isObject(p) || typeof p.id !== 'string' || !PREDICTION_ID.test(p.id) || !Number.isInteger(p.version) || !isObject(p.features) || !isObject(p.output),
  );
  if (bad >= 0) throw new RequestError(400, `predictions[${bad}] must be {"id": "<uuid>", "version": <registered version>, "features": {…}, "output": {…}}`);
  const entries = list as { id: string; version: number; features: Record<string, unknown>; output: Record<string, unknown> }[];
  const versions = [...new Set(entries.map((p) => p.version))];
  const known = await pool.query<{ version: number }>('SELECT version FROM model_versions WHERE model = $1 AND version = ANY($2::int[])', [model, versions]);
  const registered = new Set(known.rows.map((r) => r.version));
  const unknown = versions.filter((v) => !registered.has(v));
  if (unknown.length > 0) throw new RequestError(400, `model ${model} has no version ${unknown.join(', ')}`);
  const droppedBefore = log.dropped;
  for (const p of entries) log.add({ id: p.id, model, version: p.version, features: p.features, output: p.output });
  await log.flush();
  // A full queue or a failed write: the sender keeps its buffer and posts again later.
  if (log.dropped > droppedBefore)
    throw new RequestError(503, `the prediction log could not take ${log.dropped - droppedBefore} of ${entries.length} predictions; post them again later`);
  return { accepted: entries.length };
}
