// Serving cost of an exported model in onnxruntime-node: single-row latency and batch throughput.
import { performance } from 'node:perf_hooks';
import type { FeatureColumn } from '../features/encode';
import { feedsFromColumns } from './feeds';
import { createOnnxScorer } from './score';

/** Calls before timing starts: the first runs allocate and warm caches. */
const WARM_UP_CALLS = 100;
/** Batch throughput is measured on at most this many rows: enough for a steady rate, bounded at any table size. */
export const MAX_BATCH_ROWS = 65_536;

export interface OnnxLatency {
  /** Single-row requests, milliseconds per `score` call (feeds prepared beforehand). */
  p50Ms: number;
  p99Ms: number;
  singleRowCalls: number;
  /** The first min(rows, MAX_BATCH_ROWS) rows of `columns` scored in batches of `batchSize`. */
  batchRowsPerSec: number;
  batchRows: number;
  batchSize: number;
}

/** Times `n` single-row calls (cycling through the rows of `columns`) after a short warm-up, then batch scoring. */
export async function measureLatency(bytes: Uint8Array, columns: FeatureColumn[], n: number, batchSize = 1024): Promise<OnnxLatency> {
  const total = Math.min(columns[0]?.values.length ?? 0, MAX_BATCH_ROWS);
  if (total === 0) throw new Error('measureLatency: the feature columns have no rows');
  if (!Number.isInteger(n) || n < 1) throw new Error(`measureLatency: n must be a positive integer, got ${n}`);
  const scorer = await createOnnxScorer(bytes);
  try {
    const single = Array.from({ length: Math.min(n, total) }, (_, i) => feedsFromColumns(scorer.inputs, columns, Int32Array.of(i)));
    for (let i = 0; i < WARM_UP_CALLS; i++) await scorer.score(single[i % single.length] ?? {});
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const feeds = single[i % single.length] ?? {};
      const t0 = performance.now();
      await scorer.score(feeds);
      times[i] = performance.now() - t0;
    }
    times.sort();
    const quantile = (q: number): number => times[Math.min(n - 1, Math.floor(q * n))] ?? NaN;

    const batches: ReturnType<typeof feedsFromColumns>[] = [];
    for (let s = 0; s < total; s += batchSize) {
      batches.push(
        feedsFromColumns(
          scorer.inputs,
          columns,
          Int32Array.from({ length: Math.min(batchSize, total - s) }, (_, i) => s + i),
        ),
      );
    }
    const t0 = performance.now();
    for (const feeds of batches) await scorer.score(feeds);
    const seconds = (performance.now() - t0) / 1000;
    return {
      p50Ms: quantile(0.5),
      p99Ms: quantile(0.99),
      singleRowCalls: n,
      batchRowsPerSec: total / seconds,
      batchRows: total,
      batchSize,
    };
  } finally {
    await scorer.release();
  }
}
