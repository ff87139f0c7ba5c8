// A model version loaded for scoring: its ONNX graph in an onnxruntime session (hash verified, warmed up) and
// what the predict path needs from its signature and spec (raw fields, derivations, classes, threshold, keys,
// feature sets). The model server hosts these; batch scoring loads one the same way, so both answer alike.
import { createHash } from 'node:crypto';
import type { Derivation } from '../features/spec';
import { coalescing } from '../onnx/coalesce';
import { createOnnxScorer, type OnnxScorer } from '../onnx/score';
import { requestFields, taskOf, type StoredSignature } from '../onnx/fields';
import type { OnnxSignature } from '../onnx/signature';
import type { Stores } from '../store';

export interface ServedModel {
  name: string;
  version: number;
  sha256: string;
  scorer: OnnxScorer;
  signature: OnnxSignature;
  task: 'binary' | 'multiclass' | 'regression';
  classes: string[];
  threshold: number;
  derive: Derivation[];
  /** Raw request fields: name → kind (the columns derivations and the graph read). */
  fields: Map<string, 'numeric' | 'categorical'>;
  /** Protected attributes: never logged in clear. */
  protectedFields: string[];
  logProtected: 'hash' | 'drop';
  /** The spec's row keys (data.keys) and the feature sets' entity key: logged with each prediction when sent. */
  keys: string[];
  /** Feature sets the version was trained with: request fields a set provides are looked up by the entity key when absent. */
  featureSets: ServedFeatureSet[];
  loadedAt: Date;
}

export interface ServedFeatureSet {
  name: string;
  /** The version the model was trained with (a newer one may define other features). */
  version: number;
  /** The request field holding the entity key (the spec's features.entity). */
  entity: string;
  /** [feature in the set, request field] for the fields the model reads. */
  fields: [string, string][];
}

interface StoredSpec {
  data?: { keys?: string[] };
  features?: { sets?: { name: string; version?: number; features?: string[] }[]; entity?: string; prefixed?: boolean };
}

/** The sets a model version was trained with (its stored spec pins the versions), limited to the fields it reads. */
export function servedFeatureSets(spec: StoredSpec | undefined, fields: Map<string, unknown>): ServedFeatureSet[] {
  const f = spec?.features;
  if (!f?.sets || !f.entity) return [];
  return f.sets
    .filter((x) => x.version !== undefined && x.features)
    .map((x) => ({
      name: x.name,
      version: x.version!,
      entity: f.entity!,
      fields: x
        .features!.map((feature): [string, string] => [feature, f.prefixed ? `${x.name}__${feature}` : feature])
        .filter(([, field]) => fields.has(field)),
    }))
    .filter((x) => x.fields.length > 0);
}

/** Loads `version` of `name` from the registry (hash verified, warmed up). */
export async function loadServedModel(stores: Stores, name: string, version: number): Promise<ServedModel> {
  const mv = await stores.registry.getVersion(name, version);
  if (!mv) throw new Error(`model ${name} has no version ${version}`);
  const bytes = await stores.artifacts.getBuffer(stores.artifacts.keyOf(mv.uri), mv.sha256);
  if (createHash('sha256').update(bytes).digest('hex') !== mv.sha256) throw new Error(`model ${name} v${version}: sha256 mismatch`);
  const signature = mv.signature as unknown as StoredSignature;
  const fields = requestFields(signature);
  const spec = (mv.properties as { spec?: StoredSpec }).spec;
  const featureSets = servedFeatureSets(spec, fields);
  // Concurrent single-row requests share one ONNX call (core/onnx/coalesce).
  const scorer = coalescing(await createOnnxScorer(new Uint8Array(bytes)));
  const served: ServedModel = {
    name,
    version,
    sha256: mv.sha256,
    scorer,
    signature,
    task: taskOf(signature),
    classes: signature.classes ?? [],
    threshold: signature.threshold ?? 0.5,
    derive: signature.derive ?? [],
    fields,
    protectedFields: (mv.properties as { protected?: string[] }).protected ?? [],
    logProtected: (mv.properties as { logProtected?: 'hash' | 'drop' }).logProtected ?? 'hash',
    keys: [...new Set([...(spec?.data?.keys ?? []), ...(featureSets.length > 0 ? [featureSets[0]!.entity] : [])])],
    featureSets,
    loadedAt: new Date(),
  };
  // Warm up: the first run of a session allocates; do it before the model takes traffic.
  const warm: Record<string, Float32Array | string[]> = {};
  for (const input of signature.inputs) warm[input.name] = input.type === 'float32' ? Float32Array.of(0) : [''];
  await scorer.score(warm);
  return served;
}
