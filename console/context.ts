// What every page handler gets: the stores (read-only use), Temporal for the A/B test history, the Temporal
// UI's base URL for links, and a cache of the immutable JSON artifacts pages draw (content-addressed, so a
// cached copy can never be stale).
import type { Client } from '@temporalio/client';
import type { Stores } from '../core/store';
import type { Markup } from './html';
import type { Spec } from './charts';

export interface ConsoleContext {
  stores: Pick<Stores, 'pool' | 'artifacts' | 'lineage' | 'registry'>;
  temporal: Client | null;
  temporalUi: string;
  readJson: <T>(uri: string, sha256?: string) => Promise<T>;
}

export interface PageResult {
  title: string;
  crumbs?: { href: string; text: string }[];
  body: Markup;
  /** Chart specs by the ids the body's placeholders name; served by the page's JSON endpoint. */
  charts: Record<string, Spec>;
  /** The page's data as JSON (the /api/… twin of the page). */
  data: unknown;
}

/** A page handler: null when what the URL names does not exist (404). */
export type PageHandler = (ctx: ConsoleContext, params: string[], query: URLSearchParams) => Promise<PageResult | null>;

/** Immutable artifacts by sha256, most recently used kept. */
export function jsonCache(read: (uri: string, sha256?: string) => Promise<Buffer>, max = 256): ConsoleContext['readJson'] {
  const cache = new Map<string, Promise<unknown>>();
  return <T>(uri: string, sha256?: string): Promise<T> => {
    const key = `${uri}#${sha256 ?? ''}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit as Promise<T>;
    }
    const loaded = read(uri, sha256).then((b) => JSON.parse(b.toString('utf8')) as unknown);
    loaded.catch(() => cache.delete(key));
    cache.set(key, loaded);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return loaded as Promise<T>;
  };
}
