// The drift fan-out (partitionedDrift) on the time-skipping test server with mocked activities: the shared sliding
// window bounds what is in flight, continue-as-new carries the summaries, and the merge gets every partition once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionSource } from '../../core/data/partitions';
import { driftPartitions, type DriftPartitionSummary } from '../../core/stats/drift-partitions';
import { startTestbed, type Testbed } from './env';
import { workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const side = (n: number, name: string): PartitionSource[] =>
  Array.from({ length: n }, (_, i) => ({ index: i, uri: `s3://data/${name}-${i}.parquet`, format: 'parquet' as const }));
const partitions = driftPartitions(side(3, 'ref'), side(30, 'cur'));

function answer(): { maxInFlight: () => number; summarized: () => number[]; merged: () => DriftPartitionSummary[][] } {
  let inFlight = 0;
  let max = 0;
  const calls = t.answer({
    summarizeDriftPartition: async ({ partition }) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 5 + ((33 - partition.index) % 7)));
      inFlight--;
      return { index: partition.index, side: partition.side, rows: 10, summary: { uri: `s3://b/summaries/${partition.index}.json`, sha256: '', size: 0 } };
    },
    mergeDrift: (input) => ({
      report: { columns: [], driftedShare: 0, datasetDrift: false, correction: 'none', alpha: 0.05, base: 'e' },
      skipped: [],
      bounds: { rankError: 0, columns: [] },
      rows: { reference: 30, current: 300 },
      partitions: {
        reference: input.partitions.filter((p) => p.side === 'reference').length,
        current: input.partitions.filter((p) => p.side === 'current').length,
      },
      stored: { json: '', html: '' },
    }),
  });
  return {
    maxInFlight: () => max,
    summarized: () => calls.of('summarizeDriftPartition').map((c) => c.input.partition.index),
    merged: () => calls.of('mergeDrift').map((c) => c.input.partitions),
  };
}

describe('partitionedDrift', () => {
  it('keeps at most the window in flight, continues as new, and merges every partition once, in order', async () => {
    const seen = answer();
    const handle = await t.env.client.workflow.start(workflows.partitionedDrift, {
      taskQueue: t.taskQueue,
      workflowId: `drift-check-${Date.now()}`,
      args: [{ referenceUri: 'ref/', currentUri: 'cur/', partitions, options: { method: 'ks' }, window: 3, historyLimit: 60 }],
    });
    const result = (await handle.result()) as { partitions: { reference: number; current: number } };
    expect(result.partitions).toEqual({ reference: 3, current: 30 });
    expect(seen.maxInFlight()).toBeLessThanOrEqual(3);
    expect(seen.summarized().sort((a, b) => a - b)).toEqual(partitions.map((p) => p.index));
    expect(seen.merged()).toHaveLength(1);
    expect(seen.merged()[0]!.map((p) => p.index)).toEqual(partitions.map((p) => p.index));
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
  });
});
