// The fan-outs of batch scoring and materialization (scorePartitions, materializePartitions) on the time-skipping
// test server with mocked activities: the shared sliding window keeps a bounded number in flight, continues as
// new with the results so far, and runs every partition exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionSource } from '../../core/data/partitions';
import { startTestbed, type Testbed } from './env';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const partitions: PartitionSource[] = Array.from({ length: 30 }, (_, i) => ({ index: i, uri: `s3://data/part-${i}.csv`, format: 'csv' }));
const indexes = partitions.map((p) => p.index);

/** Later partitions finish first; counts the most in flight at once. */
function window(): { enter: () => void; leave: (index: number) => Promise<void>; max: () => number } {
  let inFlight = 0;
  let max = 0;
  return {
    enter: () => {
      inFlight++;
      max = Math.max(max, inFlight);
    },
    leave: async (index) => {
      await new Promise((r) => setTimeout(r, 3 + ((30 - index) % 5)));
      inFlight--;
    },
    max: () => max,
  };
}

describe('partitioned stages', () => {
  it('scorePartitions: a bounded window, continue-as-new, every partition once and in order', async () => {
    const w = window();
    const calls = t.answer({
      scorePartition: async ({ partition }) => {
        w.enter();
        await w.leave(partition.index);
        const ref = { uri: `s3://b/scores/m/1/parts/${partition.index}.parquet`, sha256: String(partition.index).padStart(64, '0'), size: 1 };
        return { index: partition.index, ref, rows: 10, columns: [], missingFields: [], sourceUri: partition.uri, sourceSha256: '', range: null, sets: [] };
      },
    });
    const handle = await t.env.client.workflow.start('scorePartitions', {
      taskQueue: t.taskQueue,
      workflowId: `score-partitions-${Date.now()}`,
      args: [{ request: { model: 'm', table: 's3://data/' }, version: 1, partitions, window: 3, historyLimit: 60 }],
    });
    const result = (await handle.result()) as { index: number }[];
    expect(result.map((r) => r.index)).toEqual(indexes);
    expect(
      calls
        .of('scorePartition')
        .map((c) => c.input.partition.index)
        .sort((a, b) => a - b),
    ).toEqual(indexes);
    expect(calls.of('scorePartition').every((c) => c.input.version === 1)).toBe(true);
    expect(w.max()).toBeLessThanOrEqual(3);
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
  });

  it('materializePartitions: the same, each partition reading past the planned watermark', async () => {
    const w = window();
    const calls = t.answer({
      materializePartition: async ({ partition }) => {
        w.enter();
        await w.leave(partition.index);
        return {
          index: partition.index,
          rows: null,
          count: 0,
          skipped: { missingKey: 0, behindWatermark: 1, duplicates: 0 },
          features: [],
          sourceSha256: '',
          range: null,
        };
      },
    });
    const plan = { name: 's', version: 1, sourceUri: 's3://data/', fromWatermark: '2024-01-01T00:00:00.000000Z', fromUs: '1704067200000000', partitions };
    const handle = await t.env.client.workflow.start('materializePartitions', {
      taskQueue: t.taskQueue,
      workflowId: `materialize-partitions-${Date.now()}`,
      args: [{ plan, partitions, window: 4, historyLimit: 60 }],
    });
    const result = (await handle.result()) as { index: number }[];
    expect(result.map((r) => r.index)).toEqual(indexes);
    const seen = calls.of('materializePartition');
    expect(seen.map((c) => c.input.partition.index).sort((a, b) => a - b)).toEqual(indexes);
    expect(seen.every((c) => c.input.plan.fromUs === plan.fromUs)).toBe(true);
    expect(w.max()).toBeLessThanOrEqual(4);
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
  });
});
