// The Temporal dev server restarted mid-run, its database file kept: the worker reconnects, the run picks
// up where its history says it was, and completes with one execution per stage and one model version.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import { activityRunning, activitySpans, expectRunIntact, resultOf, sleep, startCt, startFaultStack, type FaultStack } from '../support/fault-stack';

let stack: FaultStack;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fault-temporal-'));
const data = path.join(dir, 'churn.csv');

beforeAll(async () => {
  [stack] = await Promise.all([startFaultStack(), writeSynthCsv(data, { rows: 100_000, seed: 41 })]);
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('Temporal dev server restarted during training', () => {
  it('the run completes with one execution per stage, one model version and every artifact in place', async () => {
    const handle = await startCt(stack, { name: 'temporal-restart', data: { uri: data }, target: 'churned', features: { exclude: ['customer_id'] } });
    await activityRunning(handle, 'trainModel');
    const before = stack.pid('temporal')!;
    const worker = stack.pid('worker');
    // SIGINT is how `mlops down` stops it: a clean close of the SQLite file, which the restart reopens.
    const stoppedAt = Date.now();
    await stack.stop('temporal', 'SIGINT');
    await sleep(3_000);
    await stack.restore();
    expect(stack.pid('temporal')).not.toBe(before);

    const r = await resultOf(handle);
    expect(r.status).toBe('deployed');
    expect(r.model?.version).toBe(1);
    await expectRunIntact(stack, r, { versions: [1] });
    expect(await stack.stores.registry.getAlias('temporal-restart', 'production')).toBe(1);
    // Training was in flight across the outage: started before the server went away, its completion
    // recorded once the server was back; the worker that ran it reconnected rather than being replaced.
    const train = (await activitySpans(handle)).filter((a) => a.name === 'trainModel');
    expect(train).toHaveLength(1);
    expect(train[0]!.startedAt).toBeLessThan(stoppedAt);
    expect(train[0]!.closedAt).toBeGreaterThan(stoppedAt + 3_000); // nothing is recorded while the server is down
    expect(stack.pid('worker')).toBe(worker);
  }, 240_000);
});
