// The models the server hosts: every registered model whose serving alias is set, loaded from the artifact
// store (core/predict/served-model.ts) and swapped in atomically when the alias moves — requests in flight finish
// on the version they started with. A rollout's challenger (alias `challenger`) is hosted next to the champion.
import { loadServedModel, type ServedModel } from '../core/predict/served-model';
import { CHALLENGER, parseRoute, type RolloutRoute } from '../core/rollout/routing';
import type { Stores } from '../core/store';

export type { ServedFeatureSet, ServedModel } from '../core/predict/served-model';

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
  open(name: string, version: number): Promise<ServedModel> {
    return loadServedModel(this.stores, name, version);
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
