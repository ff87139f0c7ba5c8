// The cost measurement every target runs the same way (bundled into score.mjs, so a device can measure itself
// with `node score.mjs --bench rows.json`): single-row latency percentiles and batch throughput.

export interface ScoringBench {
  /** Single-row calls, one after another (after a warm-up). */
  singleRow: { calls: number; p50Ms: number; p99Ms: number };
  /** Rows per second scoring batches of `batchRows` rows for at least `seconds`. */
  throughput: { rowsPerSecond: number; batchRows: number; seconds: number };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export async function benchScorer(
  score: (rows: Record<string, unknown>[]) => Promise<unknown>,
  rows: Record<string, unknown>[],
  opts: { calls?: number; batchRows?: number; minMs?: number } = {},
): Promise<ScoringBench> {
  if (rows.length === 0) throw new Error('the cost measurement needs at least one row');
  const calls = opts.calls ?? 300;
  for (let i = 0; i < Math.min(30, calls); i++) await score([rows[i % rows.length]!]);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await score([rows[i % rows.length]!]);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const batchRows = Math.min(opts.batchRows ?? 1000, 10_000);
  const batch = Array.from({ length: batchRows }, (_, i) => rows[i % rows.length]!);
  const minMs = opts.minMs ?? 1000;
  let scored = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || scored === 0) {
    await score(batch);
    scored += batch.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    singleRow: { calls, p50Ms: round3(quantile(times, 0.5)), p99Ms: round3(quantile(times, 0.99)) },
    throughput: { rowsPerSecond: Math.round(scored / seconds), batchRows, seconds: round3(seconds) },
  };
}
