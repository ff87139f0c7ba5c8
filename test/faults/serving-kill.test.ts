// The model server killed (SIGKILL) during a deploy, as the alias moves to the new version: until then the
// old version answers every request; while no server runs, requests cannot connect (and the deploy either
// waits for a server to report the version or, finding none, completes without one, as documented); the
// restarted server loads the alias before it listens, so from its first answer it serves the new version.
// No request that reached a running server failed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRunIntact,
  onAliasMove,
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
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-fault-serving-'));
const firstYears = weatherBefore2015(dir);
const model = 'serving-kill';

beforeAll(async () => {
  stack = await startFaultStack();
}, 180_000);

afterAll(async () => {
  await stack?.teardown();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('model server killed during a deploy', () => {
  it('the old version serves until the kill, the restarted server serves the new one, and no answered request fails', async () => {
    const spec = { name: model, ...WEATHER_SPEC };
    const first = await resultOf(await startCt(stack, { ...spec, data: { uri: firstYears } }));
    expect(first.deployed?.version).toBe(1);
    await waitFor('v1 served', async () => (await servedVersion(stack, model)) === 1 || undefined);

    const traffic = startTraffic(stack, model, WEATHER_INSTANCE);
    // Kill the server the moment the alias moves: it is then loading v2 while still answering with v1.
    const killed = await onAliasMove(stack, model, 2, () => process.kill(stack.pid('serving')!, 'SIGKILL'));
    const handle = await startCt(stack, { ...spec, data: { uri: WEATHER } });
    const killedAt = await killed.moved;
    await sleep(3_000);
    await stack.restore(); // `mlops up` starts the model server again
    const readyAt = Date.now();
    const r = await resultOf(handle);
    await sleep(1_000);
    const answers = await traffic.stop();

    expect(r.status).toBe('deployed');
    expect(r.deployed?.version).toBe(2);
    await expectRunIntact(stack, r, { versions: [1, 2] });
    const deploy = await stack.stores.pool.query<{ params: { served: boolean } }>(`SELECT x.params FROM executions x WHERE x.key = $1`, [
      `${r.workflowId}/${r.runId}/deploy`,
    ]);
    // Either the deploy saw a server report v2 (the restarted one, as a rule), or it found no server at all
    // and, as documented, did not wait: the restarted server loads the alias before it takes requests.
    expect(typeof deploy.rows[0]!.params.served).toBe('boolean');

    // Every answer was a 200; versions only moved forward (1 … 1, then 2 … 2); connection errors only while
    // no server ran (a request in flight at the kill included).
    const answered = answers.filter((a) => a.status !== undefined);
    expect(answered.filter((a) => a.status !== 200)).toEqual([]);
    const versions = answered.map((a) => a.version);
    expect(versions.indexOf('2')).toBeGreaterThan(0);
    expect(versions.slice(versions.indexOf('2')).every((v) => v === '2')).toBe(true);
    expect(versions.slice(0, versions.indexOf('2')).every((v) => v === '1')).toBe(true);
    const failed = answers.filter((a) => a.error !== undefined);
    expect(failed.length).toBeGreaterThan(0); // the kill was real
    for (const f of failed) {
      expect(f.at).toBeGreaterThanOrEqual(killedAt - 1_000);
      expect(f.at).toBeLessThanOrEqual(readyAt);
    }
    expect(answered.filter((a) => a.at > readyAt).every((a) => a.version === '2')).toBe(true);
    expect(await servedVersion(stack, model)).toBe(2);
  }, 240_000);
});
