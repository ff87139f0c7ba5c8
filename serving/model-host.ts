// The models the server hosts: every registered model whose serving alias is set, loaded from the artifact
// store (hash verified) into an onnxruntime session, warmed up, and swapped in atomically when the alias
// moves — requests in flight finish on the version they started with. A rollout's challenger (alias
// `challenger`) is hosted next to the champion.
import { createHash } from 'node:crypto';
import type { Derivation } from '../core/features/spec';
import { coalescing } from '../core/onnx/coalesce';
import { createOnnxScorer, type OnnxScorer } from '../core/onnx/score';
import { requestFields, taskOf, type StoredSignature } from '../core/onnx/fields';
import type { OnnxSignature } from '../core/onnx/signature';
import { CHALLENGER, parseRoute, type RolloutRoute } from '../core/rollout/routing';
import type { Stores } from '../core/store';

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
      fields: x.features!.map((feature): [string, string] => [feature, f.prefixed ? `${x.name}__${feature}` : feature]).filter(([, field]) => fields.has(field)),
    }))
    .filter((x) => x.fields.length > 0);
}

export interface Challenger {
  model: ServedModel;
  route: RolloutRoute;
}

export class ModelHost {
  private readonly models = new Map<string, ServedModel>();
  private readonly challengers = new Map<string, Challenger>();

  constructor(
    private readonly stores: Stores,
    readonly alias = 'production',
  ) {}

  get(name: string): ServedModel | undefined {
    return this.models.get(name);
  }

  list(): ServedModel[] {
    return [...this.models.values()];
  }

  /** Loads every model that has the alias, and the challengers of rollouts in progress. */
  async loadAll(): Promise<void> {
    for (const m of await this.stores.registry.listModels()) {
      if (m.aliases[this.alias] !== undefined) await this.load(m.name, m.aliases[this.alias]!);
      if (m.aliases[CHALLENGER] !== undefined) await this.loadChallenger(m.name, m.aliases[CHALLENGER]!);
    }
  }

  /** Loads (or reloads) `name` at `version`; unloads it when version is null. */
  async load(name: string, version: number | null): Promise<ServedModel | undefined> {
    const current = this.models.get(name);
    if (version === null) {
      this.models.delete(name);
      retire(current);
      return undefined;
    }
    if (current?.version === version) return current;
    const served = await this.open(name, version);
    this.models.set(name, served);
    retire(current);
    return served;
  }

  challenger(name: string): Challenger | undefined {
    return this.challengers.get(name);
  }

  /** Loads the challenger `version` of `name` with the route of its latest alias move; unloads it when null. */
  async loadChallenger(name: string, version: number | null): Promise<Challenger | undefined> {
    const current = this.challengers.get(name);
    if (version === null) {
      this.challengers.delete(name);
      retire(current?.model);
      return undefined;
    }
    const move = (await this.stores.registry.aliasHistory(name, CHALLENGER)).at(-1);
    const route = parseRoute(move?.details);
    const model = current?.model.version === version ? current.model : await this.open(name, version);
    const next = { model, route };
    this.challengers.set(name, next);
    if (current && current.model !== model) retire(current.model);
    return next;
  }

  /** Loads `version` of `name` from the registry (hash verified, warmed up), without serving it under an alias. */
  async open(name: string, version: number): Promise<ServedModel> {
    const mv = await this.stores.registry.getVersion(name, version);
    if (!mv) throw new Error(`model ${name} has no version ${version}`);
    const bytes = await this.stores.artifacts.getBuffer(this.stores.artifacts.keyOf(mv.uri), mv.sha256);
    if (createHash('sha256').update(bytes).digest('hex') !== mv.sha256) throw new Error(`model ${name} v${version}: sha256 mismatch`);
    const signature = mv.signature as unknown as StoredSignature;
    const fields = requestFields(signature);
    const spec = (mv.properties as { spec?: StoredSpec }).spec;
    const featureSets = servedFeatureSets(spec, fields);
    // Concurrent single-row requests share one ONNX call (core/onnx/coalesce).
    const scorer = coalescing(await createOnnxScorer(new Uint8Array(bytes)));
    const served: ServedModel = {
      name, version, sha256: mv.sha256, scorer, signature,
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

  async close(): Promise<void> {
    for (const m of this.models.values()) await m.scorer.release();
    for (const c of this.challengers.values()) await c.model.scorer.release();
    this.models.clear();
    this.challengers.clear();
  }
}

/** A replaced session may still serve requests in flight: release it a little later. */
function retire(model: ServedModel | undefined): void {
  if (model) setTimeout(() => void model.scorer.release(), 5_000);
}
