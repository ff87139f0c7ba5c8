// One partition activity per item over a sliding window (temporalio samples-typescript batch-sliding-window):
// at most `window` items in flight, and no new item started once the history nears its limit, so the caller
// can continue as new with the results so far. Shared by every partitioned fan-out (ingest, drift summaries).
import { workflowInfo } from '@temporalio/workflow';

/** Partition activities in flight at once: enough for 100 two-core workers, a tenth of the 2,000 pending limit. */
export const PARTITION_WINDOW = 200;
/** Continue as new past this many history events (the server's limit is 51,200). */
export const PARTITION_HISTORY_LIMIT = 10_000;

export interface WindowOptions {
  window?: number;
  /** History events after which no new item starts (default PARTITION_HISTORY_LIMIT). */
  historyLimit?: number;
}

/**
 * Runs `run` for every item whose index is not among `done` yet, and returns `done` plus what completed. Fewer
 * results than items means the history is full: the caller continues as new, carrying the results.
 */
export async function slidingWindow<T extends { index: number }, R extends { index: number }>(
  items: T[],
  done: R[],
  run: (item: T) => Promise<R>,
  opts: WindowOptions = {},
): Promise<R[]> {
  const results = [...done];
  const finished = new Set(done.map((d) => d.index));
  const todo = items.filter((p) => !finished.has(p.index));
  const window = opts.window ?? PARTITION_WINDOW;
  const full = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (opts.historyLimit ?? PARTITION_HISTORY_LIMIT);
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  while (next < todo.length || inFlight.size > 0) {
    while (inFlight.size < window && next < todo.length && !full()) {
      const item = todo[next++]!;
      const running: Promise<void> = run(item)
        .then((r) => void results.push(r))
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  return results;
}
