// The models the server hosts: every registered model whose serving alias is set, loaded from the artifact
// store (hash verified) into an onnxruntime session, warmed up, and swapped in atomically when the alias
// moves — requests in flight finish on the version they started with.
import { createHash } from 'node:crypto';
import type { Derivation } from '../core/features/spec';
import { createOnnxScorer, type OnnxScorer } from '../core/onnx/score';
import type { OnnxSignature } from '../core/onnx/signature';
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
  /** The spec's row keys (data.keys): logged with each prediction when sent, for the skew check. */
  keys: string[];
  loadedAt: Date;
}

interface StoredSignature extends OnnxSignature {
  task?: 'binary' | 'multiclass' | 'regression';
  threshold?: number;
  derive?: Derivation[];
  raw?: { name: string; kind: 'numeric' | 'date' | 'categorical' }[];
  protected?: string[];
}

export class ModelHost {
  private readonly models = new Map<string, ServedModel>();

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

  /** Loads every model that has the alias. */
  async loadAll(): Promise<void> {
    for (const m of await this.stores.registry.listModels()) {
      if (m.aliases[this.alias] !== undefined) await this.load(m.name, m.aliases[this.alias]!);
    }
  }

  /** Loads (or reloads) `name` at `version`; unloads it when version is null. */
  async load(name: string, version: number | null): Promise<ServedModel | undefined> {
    if (version === null) {
      const old = this.models.get(name);
      this.models.delete(name);
      if (old) setTimeout(() => void old.scorer.release(), 5_000);
      return undefined;
    }
    const current = this.models.get(name);
    if (current?.version === version) return current;
    const mv = await this.stores.registry.getVersion(name, version);
    if (!mv) throw new Error(`model ${name} has no version ${version}`);
    const bytes = await this.stores.artifacts.getBuffer(this.stores.artifacts.keyOf(mv.uri), mv.sha256);
    if (createHash('sha256').update(bytes).digest('hex') !== mv.sha256) throw new Error(`model ${name} v${version}: sha256 mismatch`);
    const signature = mv.signature as unknown as StoredSignature;
    const fields = new Map<string, 'numeric' | 'categorical'>();
    const rawKinds = new Map((signature.raw ?? []).map((r) => [r.name, r.kind === 'categorical' ? 'categorical' : 'numeric'] as const));
    const derived = new Set((signature.derive ?? []).map((d) => d.name));
    for (const input of signature.inputs) if (!derived.has(input.name)) fields.set(input.name, input.type === 'string' ? 'categorical' : 'numeric');
    for (const d of signature.derive ?? []) {
      for (const i of 'inputs' in d ? d.inputs : [d.input]) if (!derived.has(i)) fields.set(i, rawKinds.get(i) ?? 'numeric');
    }
    const scorer = await createOnnxScorer(new Uint8Array(bytes));
    const served: ServedModel = {
      name, version, sha256: mv.sha256, scorer, signature,
      task: signature.task ?? (signature.classes ? (signature.classes.length === 2 ? 'binary' : 'multiclass') : 'regression'),
      classes: signature.classes ?? [],
      threshold: signature.threshold ?? 0.5,
      derive: signature.derive ?? [],
      fields,
      protectedFields: (mv.properties as { protected?: string[] }).protected ?? [],
      logProtected: (mv.properties as { logProtected?: 'hash' | 'drop' }).logProtected ?? 'hash',
      keys: (mv.properties as { spec?: { data?: { keys?: string[] } } }).spec?.data?.keys ?? [],
      loadedAt: new Date(),
    };
    // Warm up: the first run of a session allocates; do it before the model takes traffic.
    const warm: Record<string, Float32Array | string[]> = {};
    for (const input of signature.inputs) warm[input.name] = input.type === 'float32' ? Float32Array.of(0) : [''];
    await scorer.score(warm);
    this.models.set(name, served);
    // The previous session may still serve requests in flight: release it a little later.
    if (current) setTimeout(() => void current.scorer.release(), 5_000);
    return served;
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) await m.scorer.release();
    this.models.clear();
  }
}
