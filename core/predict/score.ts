// The predict path every protocol (V1 JSON, V2 REST, V2 gRPC) and batch scoring share: request rows checked
// against the model's raw fields, the training derivations, then the model's ONNX graph.
import { randomUUID } from 'node:crypto';
import { coerce } from '../features/derive';
import { decodePredictions, featureFeeds, rowFeatures, type RowModel } from '../onnx/rows';
import type { ServedModel } from './served-model';

export const MAX_INSTANCES = 10_000;
/** A prediction id: the log's key (a uuid column) and what feedback sends back. */
export const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An error a caller caused (or a missing model): the HTTP status it is answered with (gRPC maps it to a code)
 * and a message that names what is wrong.
 */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Checks instances against the model's fields; throws 400 naming every bad field. */
export function checkInstances(model: ServedModel, instances: unknown): Record<string, unknown>[] {
  if (!Array.isArray(instances) || instances.length === 0) throw new RequestError(400, '"instances" must be a non-empty list of objects');
  if (instances.length > MAX_INSTANCES) throw new RequestError(413, `at most ${MAX_INSTANCES} instances per request`);
  const problems: string[] = [];
  instances.forEach((inst, i) => {
    if (typeof inst !== 'object' || inst === null || Array.isArray(inst)) {
      problems.push(`instances[${i}] is not an object`);
      return;
    }
    const row = inst as Record<string, unknown>;
    for (const [field, kind] of model.fields) {
      if (!Object.hasOwn(row, field)) problems.push(`instances[${i}].${field} is missing${viaSet(model, field)}`);
      else {
        const v = row[field];
        if (v === null) continue;
        if (kind === 'numeric' && typeof v !== 'number' && typeof v !== 'boolean' && (typeof v !== 'string' || Number.isNaN(coerce(v, 'numeric') as number))) {
          problems.push(
            `instances[${i}].${field} must be a number${model.derive.some((d) => ('inputs' in d ? d.inputs : [d.input]).includes(field)) ? ' or an ISO date' : ''}, got ${JSON.stringify(v).slice(0, 40)}`,
          );
        } else if (kind === 'categorical' && typeof v === 'object')
          problems.push(`instances[${i}].${field} must be a string, got ${JSON.stringify(v).slice(0, 40)}`);
      }
    }
  });
  if (problems.length > 0) throw new RequestError(400, problems.slice(0, 20).join('; ') + (problems.length > 20 ? `; … ${problems.length - 20} more` : ''));
  return instances as Record<string, unknown>[];
}

/** For a missing field a feature set provides: how the request could have had it looked up. */
function viaSet(model: ServedModel, field: string): string {
  const set = model.featureSets.find((s) => s.fields.some(([, f]) => f === field));
  return set ? ` (or send ${set.entity} to look it up in feature set ${set.name}@${set.version})` : '';
}

/** A value derived from a loaded model once, not per request (a model's fields never change once loaded). */
export function perModel<T>(fn: (model: ServedModel) => T): (model: ServedModel) => T {
  const cache = new WeakMap<ServedModel, T>();
  return (model) => {
    if (!cache.has(model)) cache.set(model, fn(model));
    return cache.get(model)!;
  };
}

const kindsOf = perModel((model) => Object.fromEntries(model.fields) as Record<string, 'numeric' | 'categorical'>);
const rowModelOf = perModel((model): RowModel => ({
  fields: [...model.fields],
  derive: model.derive,
  inputs: model.signature.inputs,
  task: model.task,
  classes: model.classes,
  threshold: model.threshold,
}));

/** Predictions for checked instances: derivations, then the graph (core/onnx/rows, shared with the exported bundles). */
export async function predict(
  model: ServedModel,
  rows: Record<string, unknown>[],
): Promise<{ features: Record<string, unknown>[]; predictions: Record<string, unknown>[] }> {
  const rowModel = rowModelOf(model);
  const features = rowFeatures(rowModel, kindsOf(model), rows);
  const out = await model.scorer.score(featureFeeds(rowModel, features));
  // A caller's own id is kept when it is a UUID not used twice in the request; any other (a data column
  // named id, say) would make the log refuse its whole batch.
  const seen = new Set<string>();
  const ids = rows.map((r) => {
    const id = typeof r.id === 'string' && PREDICTION_ID.test(r.id) && !seen.has(r.id) ? r.id : randomUUID();
    seen.add(id);
    return id;
  });
  const predictions = decodePredictions(rowModel, out, rows.length).map((p, i) => ({ id: ids[i]!, ...p }));
  return { features, predictions };
}
