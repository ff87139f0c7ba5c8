// The partition fan-out (ingestPartitions) on the time-skipping test server with mocked activities: a bounded
// window of activities in flight, continue-as-new that carries the results, every partition exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionResult } from '../../core/data/partitioned-dataset';
import type { PartitionSource } from '../../core/data/partitions';
import { startTestbed, type Testbed } from './env';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const partitions: PartitionSource[] = Array.from({ length: 40 }, (_, i) => ({ index: i, uri: `s3://data/part-${i}.parquet`, format: 'parquet' }));

function answerWithConcurrency(): { maxInFlight: () => number; calls: () => number[] } {
  let inFlight = 0;
  let max = 0;
  const calls = t.answer({
    ingestPartition: async ({ partition }) => {
      inFlight++;
      max = Math.max(max, inFlight);
      // Later partitions finish first: the results must still come back in partition order.
      await new Promise((r) => setTimeout(r, 5 + ((40 - partition.index) % 7)));
      inFlight--;
      return {
        index: partition.index,
        uri: `s3://b/datasets/${partition.index}.parquet`,
        sha256: String(partition.index).padStart(64, '0'),
        rows: 10,
        columns: [],
        sourceUri: partition.uri,
        sourceSha256: '',
        range: null,
        format: 'parquet',
        summary: { uri: '', sha256: '', size: 0 },
        checks: null,
      } satisfies PartitionResult;
    },
  });
  return { maxInFlight: () => max, calls: () => calls.of('ingestPartition').map((c) => c.input.partition.index) };
}

describe('ingestPartitions', () => {
  it('keeps at most the window in flight and returns every partition once, in order', async () => {
    const seen = answerWithConcurrency();
    const result = await t.env.client.workflow.execute('ingestPartitions', {
      taskQueue: t.taskQueue,
      workflowId: `partitions-window-${Date.now()}`,
      args: [{ model: 'm', partitions, schema: null, window: 4 }],
    });
    expect((result as PartitionResult[]).map((r) => r.index)).toEqual(partitions.map((p) => p.index));
    expect(seen.maxInFlight()).toBeLessThanOrEqual(4);
    expect(seen.maxInFlight()).toBeGreaterThan(1);
    expect(seen.calls()).toHaveLength(partitions.length);
  });

  it('continues as new when its history grows, carrying the results, and loses or repeats no partition', async () => {
    const seen = answerWithConcurrency();
    const handle = await t.env.client.workflow.start('ingestPartitions', {
      taskQueue: t.taskQueue,
      workflowId: `partitions-can-${Date.now()}`,
      args: [{ model: 'm', partitions, schema: null, window: 3, historyLimit: 60 }],
    });
    const result = (await handle.result()) as PartitionResult[];
    expect(result.map((r) => r.index)).toEqual(partitions.map((p) => p.index));
    // Each partition's activity ran once: none lost, none repeated across the runs.
    expect(seen.calls().sort((a, b) => a - b)).toEqual(partitions.map((p) => p.index));
    const described = await handle.describe();
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
  });
});
