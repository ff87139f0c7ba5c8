// The fan-out loop every partitioned stage shares (temporalio samples-typescript batch-sliding-window): at
// most `window` activities in flight, and no new one started once the history asks to continue as new. The
// caller continues as new with the results so far when `complete` is false, so a retried run loses or
// repeats no partition.
import { workflowInfo } from '@temporalio/workflow';

/** Partition activities in flight at once: enough for 100 two-core workers, a tenth of the 2,000 pending limit. */
export const PARTITION_WINDOW = 200;
/** Continue as new past this many history events (the server's limit is 51,200). */
export const PARTITION_HISTORY_LIMIT = 10_000;

export interface WindowOptions {
  window?: number;
  /** History events after which the workflow continues as new (default PARTITION_HISTORY_LIMIT). */
  historyLimit?: number;
}

/** Runs `run` for every item whose index is not in `done`; returns all results so far, in index order. */
export async function slidingWindow<I extends { index: number }, R extends { index: number }>(
  items: I[],
  done: R[],
  run: (item: I) => Promise<R>,
  opts: WindowOptions = {},
): Promise<{ done: R[]; complete: boolean }> {
  const results = [...done];
  const finished = new Set(results.map((d) => d.index));
  const todo = items.filter((p) => !finished.has(p.index));
  const window = opts.window ?? PARTITION_WINDOW;
  const limit = opts.historyLimit ?? PARTITION_HISTORY_LIMIT;
  const full = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
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
  return { done: results.sort((a, b) => a.index - b.index), complete: results.length >= items.length };
}
