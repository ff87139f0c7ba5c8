// Registered versions asked for by number (V2 `/versions/{v}`) that no alias points at: loaded on first use
// and kept in a small LRU, so an old version can be scored without a deploy and without unbounded memory.
import type { ModelHost, ServedModel } from './model-host';
import { RequestError } from '../core/predict/score';

/** Versions kept loaded besides the aliased ones. */
export const VERSION_CACHE_SIZE = 4;
/** Said in the model metadata, so a caller knows what a `/versions/{v}` request costs. */
export const VERSION_LOADING = `any registered version is served under /versions/{v}: loaded on first use, the ${VERSION_CACHE_SIZE} most recently used kept loaded (least recently used unloaded first)`;

export interface VersionCache {
  get(name: string, version: number): Promise<ServedModel>;
  /** The versions of `name` loaded here now. */
  loaded(name: string): number[];
  close(): Promise<void>;
}

export function createVersionCache(host: Pick<ModelHost, 'open'>, capacity = VERSION_CACHE_SIZE): VersionCache {
  // Insertion order is recency order: a hit is deleted and set again.
  const entries = new Map<string, { name: string; version: number; model: Promise<ServedModel> }>();
  const release = (p: Promise<ServedModel>, delayMs: number): void => {
    // A request may still be scoring on an evicted session: release it a little later.
    p.then(
      (m) => setTimeout(() => void m.scorer.release(), delayMs).unref(),
      () => undefined,
    );
  };
  return {
    get(name, version) {
      const key = `${name}|${version}`;
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.model;
      }
      const model = host.open(name, version).catch((err: Error) => {
        entries.delete(key);
        throw /has no version/.test(err.message) ? new RequestError(404, `model ${name} has no registered version ${version}`) : err;
      });
      entries.set(key, { name, version, model });
      while (entries.size > capacity) {
        const [oldest, entry] = entries.entries().next().value!;
        entries.delete(oldest);
        release(entry.model, 5_000);
      }
      return model;
    },
    loaded: (name) => [...entries.values()].filter((e) => e.name === name).map((e) => e.version),
    async close() {
      for (const e of entries.values())
        await e.model.then(
          (m) => m.scorer.release(),
          () => undefined,
        );
      entries.clear();
    },
  };
}
