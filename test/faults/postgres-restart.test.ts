// Postgres restarted mid-run: stages whose lineage writes fail are retried and find their own rows (the
// writes are keyed by run and stage), so the run completes with no duplicate lineage rows; the model server's
// alias listener reconnects, so the deploy still sees the new version served.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import { activitySpans, expectRunIntact, reachStage, resultOf, sleep, startCt, startFaultStack, type FaultStack } from '../support/fault-stack';

let stack: FaultStack;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fault-postgres-'));
const data = path.join(dir, 'churn.csv');

beforeAll(async () => {
  [stack] = await Promise.all([startFaultStack(), writeSynthCsv(data, { rows: 30_000, seed: 43 })]);
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('Postgres restarted during a run', () => {
  it('the run completes with one row per execution, event and model version, and the new version is served', async () => {
    const model = 'postgres-restart';
    const handle = await startCt(stack, { name: model, data: { uri: data }, target: 'churned', features: { exclude: ['customer_id'] } });
    await reachStage(handle, 'validate');
    const before = stack.pid('postgres')!;
    // SIGINT is Postgres's fast shutdown (`pg_ctl stop -m fast`): open connections are cut.
    const stoppedAt = Date.now();
    await stack.stop('postgres', 'SIGINT');
    await sleep(3_000);
    await stack.restore();
    expect(stack.pid('postgres')).not.toBe(before);

    const r = await resultOf(handle);
    expect(r.status).toBe('deployed');
    await expectRunIntact(stack, r, { versions: [1] });
    const { pool } = stack.stores;
    const rows = async (sql: string): Promise<number> => (await pool.query<{ n: number }>(sql)).rows[0]!.n;
    // Nothing recorded twice anywhere in the registry and lineage tables.
    expect(await rows(`SELECT count(*)::int AS n FROM executions`)).toBe(await rows(`SELECT count(DISTINCT key)::int AS n FROM executions`));
    expect(await rows(`SELECT count(*)::int AS n FROM executions WHERE stage = 'train'`)).toBe(1);
    expect(await rows(`SELECT count(*)::int AS n FROM (SELECT execution_id, artifact_id, type FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1) d`)).toBe(0);
    expect(await rows(`SELECT count(*)::int AS n FROM model_versions`)).toBe(1);
    expect(await rows(`SELECT count(*)::int AS n FROM alias_history`)).toBe(1);
    expect(await rows(`SELECT count(*)::int AS n FROM dataset_schemas`)).toBe(1);

    // The restart was felt: a stage was retried after its database call failed.
    const retried = (await activitySpans(handle)).filter((a) => a.attempt > 1);
    expect(retried.length).toBeGreaterThan(0);
    expect(Math.min(...retried.map((a) => a.closedAt!))).toBeGreaterThan(stoppedAt);
    // The deploy waited for the model server, which followed the alias move over its reconnected listener.
    const deploy = await pool.query<{ params: { served: boolean } }>(`SELECT params FROM executions WHERE stage = 'deploy'`);
    expect(deploy.rows[0]!.params.served).toBe(true);
    const served = (await (await fetch(`${stack.serveUrl}/v1/models/${model}`)).json()) as { version: number };
    expect(served.version).toBe(1);
  }, 240_000);
});
