// MinIO stopped for 20 s mid-run: the stages that need the object store fail, are retried with backoff,
// and the run completes once it is back, with nothing stored twice and nothing lost. Stopped just before a
// deploy moves the alias: the model server cannot load the new version yet, keeps serving the old one,
// retries, and the deploy completes once the new version is served.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import {
  activitySpans,
  expectRunIntact,
  onStageComplete,
  reachStage,
  resultOf,
  servedVersion,
  sleep,
  startCt,
  startFaultStack,
  startTraffic,
  weatherBefore2015,
  WEATHER,
  WEATHER_INSTANCE,
  WEATHER_SPEC,
  type FaultStack,
} from '../support/fault-stack';
import { waitFor } from '../support/wait';

let stack: FaultStack;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fault-minio-'));
const data = path.join(dir, 'churn.csv');
const firstYears = weatherBefore2015(dir);

beforeAll(async () => {
  [stack] = await Promise.all([startFaultStack(), writeSynthCsv(data, { rows: 30_000, seed: 42 })]);
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('MinIO stopped for 20 s during a run', () => {
  it('the stages retry, the run completes, and every artifact is stored once with its sha256', async () => {
    const handle = await startCt(stack, { name: 'minio-outage', data: { uri: data }, target: 'churned', features: { exclude: ['customer_id'] } });
    await reachStage(handle, 'validate');
    const stoppedAt = Date.now();
    await stack.stop('minio', 'SIGTERM');
    await sleep(20_000);
    // While it is down, the run waits on a retrying activity instead of failing.
    const waiting = await handle.describe();
    expect(waiting.status.name).toBe('RUNNING');
    await stack.restore();

    const r = await resultOf(handle);
    expect(r.status).toBe('deployed');
    expect(r.model?.version).toBe(1);
    const report = await expectRunIntact(stack, r, { versions: [1] });
    expect(report.executions).toBe(8);
    // The outage was felt: some stage needed more than one attempt and finished only after MinIO returned.
    const retried = (await activitySpans(handle)).filter((a) => a.attempt > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const a of retried) {
      expect(a.startedAt).toBeGreaterThan(stoppedAt);
      expect(a.closedAt).toBeGreaterThan(stoppedAt + 20_000);
    }
  }, 240_000);

  it('while a deploy waits for the model server, the old version keeps serving and the new one is served once MinIO is back', async () => {
    const model = 'minio-deploy';
    const spec = { name: model, ...WEATHER_SPEC };
    expect((await resultOf(await startCt(stack, { ...spec, data: { uri: firstYears } }))).deployed?.version).toBe(1);
    await waitFor('v1 served', async () => (await servedVersion(stack, model)) === 1 || undefined);
    const traffic = startTraffic(stack, model, WEATHER_INSTANCE);

    // MinIO goes away between evaluate (the last stage that reads it) and the deploy: when the alias moves,
    // the server cannot fetch the v2 model bytes.
    const stopped = await onStageComplete(stack, 'evaluate', () => process.kill(stack.pid('minio')!, 'SIGKILL'));
    const handle = await startCt(stack, { ...spec, data: { uri: WEATHER } });
    const stoppedAt = await stopped.done;
    await sleep(15_000);
    expect(await servedVersion(stack, model)).toBe(1);
    await stack.restore();
    const r = await resultOf(handle);
    const answers = await traffic.stop();

    expect(r).toMatchObject({ status: 'deployed', deployed: { version: 2 } });
    await expectRunIntact(stack, r, { versions: [1, 2] });
    const deploy = await stack.stores.pool.query<{ params: { served: boolean }; ended_at: Date }>(`SELECT params, ended_at FROM executions WHERE key = $1`, [
      `${r.workflowId}/${r.runId}/deploy`,
    ]);
    expect(deploy.rows[0]!.params.served).toBe(true);
    expect(deploy.rows[0]!.ended_at.getTime()).toBeGreaterThan(stoppedAt + 15_000);
    // Every request got a 200: v1 throughout the outage, then v2, never back.
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const versions = answers.map((a) => a.version);
    const first2 = versions.indexOf('2');
    expect(answers.filter((a) => a.at > stoppedAt + 1_000 && a.at < stoppedAt + 15_000).every((a) => a.version === '1')).toBe(true);
    expect(first2).toBeGreaterThan(0);
    expect(versions.slice(first2).every((v) => v === '2')).toBe(true);
  }, 240_000);
});
