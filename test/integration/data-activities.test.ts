// The ingest and validate activities on a real worker and the real dev server: lineage per stage, and
// invalid data failing at once (non-retryable) with the message that names the problem.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import { mlops } from '../support/cli';
import type { ingestAndValidate } from '../support/workflows/data-stages';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');

beforeAll(async () => {
  s = await isolatedStores('activities');
  w = await startTestWorker(s, 'activities');
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s.drop();
});

describe('data stage activities', () => {
  it('ingest and validate record one execution each, linked to the run and the model', async () => {
    const workflowId = `ingest-${randomBytes(4).toString('hex')}`;
    const handle = await w.client.workflow.start<typeof ingestAndValidate>('ingestAndValidate', {
      taskQueue: w.taskQueue,
      workflowId,
      args: [{ uri: weather, model: 'weather', rules: { target: 'weather' } }],
    });
    const out = await handle.result();
    expect(out.dataset.rows).toBe(1461);
    expect(out.validation.passed).toBe(true);
    const rows = await s.pool.query(
      `SELECT x.stage, x.status, x.code_version, c.name AS run FROM executions x
         JOIN associations a ON a.execution_id = x.id JOIN contexts c ON c.id = a.context_id AND c.type = 'pipeline_run'
        ORDER BY x.id`,
    );
    expect(rows.rows.map((r) => [r.stage, r.status, r.run])).toEqual([
      ['ingest', 'complete', `${workflowId}/${handle.firstExecutionRunId}`],
      ['validate', 'complete', `${workflowId}/${handle.firstExecutionRunId}`],
    ]);
    expect(rows.rows[0].code_version).toMatch(/^0\.1\.0\+/);
    const dataset = await s.lineage.artifactByUri(out.dataset.uri);
    const down = await s.lineage.downstream(dataset!.id);
    // The first dataset's observed schema becomes the accepted one: the same content-addressed artifact.
    expect(out.validation.observedSchema.uri).toBe(out.validation.schema.uri);
    expect(down.artifacts.map((a) => a.type).sort()).toEqual(['Dataset', 'Schema', 'Statistics']);
  });

  it('fails at once on invalid data, with a non-retryable InvalidData failure naming the file and line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-act-'));
    const bad = path.join(dir, 'ragged.csv');
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    const cause = await expectFailure(
      w.client.workflow.execute<typeof ingestAndValidate>('ingestAndValidate', {
        taskQueue: w.taskQueue,
        workflowId: `bad-${randomBytes(4).toString('hex')}`,
        args: [{ uri: bad, model: 'weather', rules: { target: 'b' } }],
      }),
    );
    expect(cause?.type).toBe('InvalidData');
    expect(cause?.message).toBe(`${bad}: line 3 has 1 field but the header has 2 (delimiter ","); fix the row or quote fields that contain the delimiter`);
    const failed = await s.pool.query(`SELECT status, error FROM executions WHERE stage = 'ingest' AND status = 'failed'`);
    expect(failed.rows).toHaveLength(1);
  });

  it('a legitimate schema change fails validation until `mlops schema accept --from-run` adopts it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-act-'));
    const changed = path.join(dir, 'weather-v2.csv');
    const lines = ['date,precipitation,temp_max,temp_min,wind,weather'];
    for (let i = 1; i <= 28; i++) lines.push(`2016-02-${String(i).padStart(2, '0')},0,10,2,3,${i % 2 ? 'sleet' : 'rain'}`);
    writeFileSync(changed, `${lines.join('\n')}\n`);
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    const workflowId = `v2-${randomBytes(4).toString('hex')}`;
    const cause = await expectFailure(
      w.client.workflow.execute<typeof ingestAndValidate>('ingestAndValidate', {
        taskQueue: w.taskQueue,
        workflowId,
        args: [{ uri: changed, model: 'weather', rules: { target: 'weather' } }],
      }),
    );
    expect(cause?.type).toBe('ValidationFailed');
    expect(cause?.message).toMatch(
      /column "weather": unexpected_categories: expected values in the schema's domain \(5 values\), at most 1\.00% outside; observed 14 rows \(50\.00%\) outside it, e\.g\. \["sleet"\]/,
    );

    const accepted = mlops(['schema', 'accept', 'weather', '--from-run', workflowId, '--reason', 'sleet is a new weather class'], env);
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toMatch(/schema v2 accepted/);
    const shown = JSON.parse(mlops(['schema', 'show', 'weather', '--json'], env).stdout);
    expect(shown).toMatchObject({ version: 2, reason: 'sleet is a new weather class' });
    expect(shown.schema.columns.find((c: { name: string }) => c.name === 'weather').domain).toEqual(['rain', 'sleet']);

    const second = await w.client.workflow.execute<typeof ingestAndValidate>('ingestAndValidate', {
      taskQueue: w.taskQueue,
      workflowId: `v2b-${randomBytes(4).toString('hex')}`,
      args: [{ uri: changed, model: 'weather', rules: { target: 'weather' } }],
    });
    expect(second.validation.passed).toBe(true);
    expect(second.validation.schema.version).toBe(2);
    expect(mlops(['schema', 'accept', 'weather', '--from-run', 'no-such-run'], env)).toMatchObject({ code: 2 });
    expect((await s.schemas.list('weather')).map((x) => x.version)).toEqual([1, 2]);
  }, 60_000);
});
