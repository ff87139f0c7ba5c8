// A pipeline run's features.sets on the time-skipping test server with mocked activities: every set is planned,
// the unpartitioned ones are materialized together in one activity, a partitioned one fans out one activity per
// partition and is committed, and the training set joins each set at the version it was materialized at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaterializeResult } from '../../core/featurestore/materialize';
import type { MaterializePlan } from '../../core/featurestore/materialize-partitions';
import { startTestbed, type Testbed } from './env';
import { recordedPipeline, recordedSpec } from './fixtures';
import { ctWorkflowId, type RunResult, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const VERSIONS: Record<string, number> = { daily: 3, history: 2, weekly: 5 };
const materialized = (name: string): MaterializeResult => ({
  name,
  version: VERSIONS[name]!,
  rows: 10,
  entities: 2,
  onlineWritten: 2,
  skipped: { missingKey: 0, behindWatermark: 0, duplicates: 0 },
  fromWatermark: null,
  watermark: '2024-01-01T00:00:00.000000Z',
  part: { uri: `s3://b/featuresets/${name}/parts/p.parquet`, sha256: 'a'.repeat(64), size: 1 },
  sourceSha256: 'b'.repeat(64),
  ms: 1,
});

describe('a pipeline run with features.sets', () => {
  it('materializes unpartitioned sets in one activity and a partitioned one per partition, joining each at its version', async () => {
    const answers = recordedPipeline();
    const calls = t.answer({
      ...answers,
      // "history" is a directory of three files; the others are single files.
      planMaterialization: ({ set }): MaterializePlan => ({
        name: set.name,
        version: VERSIONS[set.name]!,
        sourceUri: `/data/${set.name}`,
        fromWatermark: null,
        fromUs: null,
        partitions: set.name === 'history' ? [0, 1, 2].map((index) => ({ index, uri: `s3://b/sources/${index}.csv`, format: 'csv' as const })) : null,
      }),
      materializeFeatureSets: ({ sets }) => sets.map((s) => materialized(s.name)),
      materializePartition: ({ partition }) => ({
        index: partition.index,
        rows: null,
        count: 0,
        skipped: { missingKey: 0, behindWatermark: 0, duplicates: 0 },
        features: [],
        sourceSha256: 'c'.repeat(64),
        range: null,
      }),
      commitMaterialization: ({ plan }) => ({ ...materialized(plan.name), partitions: 3, alreadyCommitted: false }),
      ingestTrainingSet: ({ sets }) => ({
        dataset: answers.ingestDataset!({ uri: '', model: '' }) as never,
        trainingSet: { uri: 's3://b/trainingsets/t.parquet', sha256: 'd'.repeat(64), size: 1 },
        sets: sets.map((s) => ({ name: s.name, version: s.version, parts: 1, columns: { [`${s.name}_x`]: `${s.name}_x` } })),
      }),
    });
    const spec = recordedSpec();
    const model = 'sets';
    const result = (await t.env.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: ctWorkflowId(model),
      taskQueue: t.taskQueue,
      args: [
        {
          ...spec,
          name: model,
          time: 'date',
          data: { ...(spec.data as object), partitionRows: 5_000 },
          features: { sets: [{ name: 'daily' }, { name: 'history' }, { name: 'weekly', version: 5 }], entity: 'location' },
        },
      ],
    })) as RunResult;
    expect(result.status).toBe('deployed');

    // Planned concurrently: the mocks see them in any order.
    const planned = calls.of('planMaterialization').map((c) => c.input);
    expect(planned.sort((a, b) => a.set.name.localeCompare(b.set.name))).toEqual([
      { set: { name: 'daily' }, model, partitionRows: 5_000 },
      { set: { name: 'history' }, model, partitionRows: 5_000 },
      { set: { name: 'weekly', version: 5 }, model, partitionRows: 5_000 },
    ]);
    expect(calls.of('materializeFeatureSets').map((c) => c.input)).toEqual([
      {
        model,
        sets: [
          { name: 'daily', version: 3 },
          { name: 'weekly', version: 5 },
        ],
      },
    ]);
    expect(
      calls
        .of('materializePartition')
        .map((c) => c.input.partition.index)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(calls.of('commitMaterialization').map((c) => [c.input.plan.name, c.input.parts.length, c.input.model])).toEqual([['history', 3, model]]);
    // The join gets the sets in the spec's order, each at the version materialized.
    expect(calls.of('ingestTrainingSet')[0]!.input.sets.map((s) => [s.name, s.version])).toEqual([
      ['daily', 3],
      ['history', 2],
      ['weekly', 5],
    ]);
    expect(result.spec.features.sets!.map((s) => `${s.name}@${s.version}`)).toEqual(['daily@3', 'history@2', 'weekly@5']);
  });
});
