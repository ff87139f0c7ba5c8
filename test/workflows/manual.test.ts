// Level 0 (manualPipeline) on the time-skipping test server: a person advances each stage, rejects one, or
// nobody answers and the run ends after the approval timeout (7 days, skipped in milliseconds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from './env';
import { recordedPipeline, recordedSpec } from './fixtures';
import { advanceUpdate, type RunResult, type Stage, STAGES, statusQuery, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const spec = recordedSpec();
const manual = (id: string, run: Record<string, unknown> = {}) =>
  t.env.client.workflow.start(workflows.manualPipeline, { taskQueue: t.taskQueue, workflowId: `manual-${id}`, args: [{ ...spec, run }] });

/** The validator's message of a refused update. */
async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { cause?: { message?: string } }).cause?.message;
  }
  throw new Error('the update was accepted');
}

async function waitingFor(handle: Awaited<ReturnType<typeof manual>>, stage: Stage): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(statusQuery)).waitingFor === stage) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the run never waited for ${stage}`);
}

describe('manualPipeline', () => {
  it('ends the run, deploying nothing, when nobody advances the first stage within the default 7 days', async () => {
    const calls = t.answer(recordedPipeline());
    const started = await t.env.currentTimeMs();
    const wall = Date.now();
    const handle = await manual('timeout');
    const r = (await handle.result()) as RunResult;
    expect(r).toMatchObject({ status: 'rejected', reasons: ['ingest was not advanced within 7 days; the run ended'], deployed: null, dataset: null });
    const skipped = (await t.env.currentTimeMs()) - started;
    expect(skipped).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
    // Seven days of server time in well under a minute of ours (a loaded machine included).
    expect(Date.now() - wall).toBeLessThan(60_000);
    expect(calls.names()).toEqual([]);
  });

  it('runs each stage only once a person advances it, and deploys', async () => {
    const calls = t.answer(recordedPipeline());
    const handle = await manual('advanced');
    for (const stage of STAGES) {
      await waitingFor(handle, stage);
      const status = await handle.query(statusQuery);
      expect(status.stages[stage]).toEqual({ state: 'waiting' });
      // Nothing of this stage ran before the advance.
      if (stage === 'train') expect(calls.of('trainModel')).toHaveLength(0);
      expect(await handle.executeUpdate(advanceUpdate, { args: [{ stage }] })).toEqual({ stage, approved: true });
    }
    const r = (await handle.result()) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', blessed: true, deployed: { alias: 'production', version: 1 }, trigger: 'manual' });
    expect(Object.keys(r.timingsMs)).toEqual([...STAGES, 'total']);
    expect(calls.of('deployModel').map((c) => c.input)).toEqual([
      expect.objectContaining({ alias: 'production', version: 1, actor: 'manualPipeline:manual-advanced', reason: 'manual' }),
    ]);
    expect(calls.of('ensureMonitor')).toHaveLength(1);
  });

  it('refuses an advance of a stage that is not waiting, and a rejection without a reason', async () => {
    const calls = t.answer(recordedPipeline());
    const handle = await manual('wrong');
    await waitingFor(handle, 'ingest');
    expect(await refusal(handle.executeUpdate(advanceUpdate, { args: [{ stage: 'train' }] }))).toBe('stage train is not waiting; ingest is');
    expect(await refusal(handle.executeUpdate(advanceUpdate, { args: [{ approve: false }] }))).toBe('rejecting a stage needs a reason');
    // Refused updates leave no trace: the run still waits for ingest, and advancing it works.
    expect((await handle.query(statusQuery)).waitingFor).toBe('ingest');
    expect(calls.names()).toEqual([]);
    await handle.executeUpdate(advanceUpdate, { args: [{ stage: 'ingest' }] });
    await waitingFor(handle, 'validate');
    expect(calls.of('ingestDataset')).toHaveLength(1);
    await handle.terminate('test done');
  });

  it('ends a run a person rejects, with the reason, and runs no later stage', async () => {
    const calls = t.answer(recordedPipeline());
    const handle = await manual('rejected');
    await waitingFor(handle, 'ingest');
    await handle.executeUpdate(advanceUpdate, { args: [{ stage: 'ingest' }] });
    await waitingFor(handle, 'validate');
    expect(await handle.executeUpdate(advanceUpdate, { args: [{ approve: false, reason: 'wrong data source' }] })).toEqual({
      stage: 'validate',
      approved: false,
    });
    const r = (await handle.result()) as RunResult;
    expect(r).toMatchObject({ status: 'rejected', reasons: ['validate rejected: wrong data source'], deployed: null, validation: null });
    expect(r.dataset).not.toBeNull();
    expect(calls.names()).toEqual(['ingestDataset', 'productionInfo', 'sameAsProduction']);
  });

  it('ends after a shorter approval timeout the run asks for, in the middle of the stages', async () => {
    t.answer(recordedPipeline());
    const handle = await manual('short', { approvalTimeout: '2 hours' });
    await waitingFor(handle, 'ingest');
    await handle.executeUpdate(advanceUpdate, { args: [{ stage: 'ingest' }] });
    const r = (await handle.result()) as RunResult;
    expect(r).toMatchObject({ status: 'rejected', reasons: ['validate was not advanced within 2 hours; the run ended'] });
  });
});
