// Rollouts on real services: a challenger next to the champion in the model server, real traffic with
// sticky keys, feedback labels from the data's true outcomes, and the abTest workflow deciding — a better
// challenger is promoted, a worse one rolled back, a tie at the maximum duration keeps the champion; a
// shadow is mirrored and rolled back by hand. Every alias move carries the test's numbers.
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { ingest, type DatasetRef } from '../../core/data/ingest';
import { writeSynthCsv } from '../../core/data/synth';
import { featuresStage } from '../../core/features/stages';
import { trainStage } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import { startServing, type RunningServer } from '../../serving/main';
import { mlopsAsync } from '../support/cli';
import { readSynthRows } from '../support/synth-traffic';
import { isolatedStores } from '../support/isolated-stores';
import { waitFor } from '../support/wait';
import { startTestWorker, type TestWorker } from '../support/worker';
import { type AbTestResult, type RolloutInput, type RunResult, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let server: RunningServer;
let good: DatasetRef;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-ab-'));
const data = path.join(dir, 'churn.csv');
const traffic = path.join(dir, 'traffic.csv');
const flippedData = path.join(dir, 'churn-flipped.csv');
let flipped: DatasetRef;

/** Registers a version of `model`: a good one, or a broken one trained on inverted labels (a label pipeline bug). */
async function train(model: string, kind: 'good' | 'broken', l2 = 1): Promise<number> {
  const spec = parseSpec({
    name: model,
    data: { uri: kind === 'good' ? data : flippedData },
    target: 'churned',
    features: { exclude: ['customer_id'] },
    training: { l2: [l2] },
  });
  const dataset = kind === 'good' ? good : flipped;
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const m = await trainStage(
    { model, runKey: `${model}-${kind}-${l2}`, spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 10 },
  );
  return m.version;
}

const trafficRows = (): Record<string, unknown>[] => readSynthRows(traffic);

async function predict(model: string, key: string, instances: Record<string, unknown>[]): Promise<{ arm: string; version: string; ids: string[] }> {
  const res = await fetch(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mlops-key': key },
    body: JSON.stringify({ instances }),
  });
  if (!res.ok) throw new Error(`predict: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { predictions: { id: string }[]; model_version: string };
  return { arm: res.headers.get('x-mlops-arm') ?? '', version: body.model_version, ids: body.predictions.map((p) => p.id) };
}

/** Every traffic row once, 10 per request under one customer key, then its true outcome as feedback. */
async function sendTraffic(model: string): Promise<void> {
  const rows = trafficRows();
  for (let i = 0; i < rows.length; i += 10) {
    const batch = rows.slice(i, i + 10);
    const out = await predict(
      model,
      `customer-${i}`,
      batch.map(({ churned: _y, ...r }) => r),
    );
    const res = await fetch(`${server.url}/v1/models/${model}:feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels: out.ids.map((id, k) => ({ id, label: String(batch[k]!.churned) })) }),
    });
    expect(res.status).toBe(200);
  }
}

function rollout(model: string, champion: number, challenger: number, over: Partial<RolloutInput> = {}): RolloutInput {
  const test = { alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.05, rule: 'sequential' as const, minSamples: 100, interval: 1, maxDuration: 300 };
  return { model, champion, challenger, strategy: 'ab', share: 0.5, test, requestedBy: 'test', ...over };
}

async function startRollout(input: RolloutInput) {
  await s.registry.setAlias({ model: input.model, alias: 'production', version: input.champion, actor: 'test', reason: 'champion' });
  await waitFor(
    'the champion served',
    async () => ((await (await fetch(`${server.url}/v1/models/${input.model}`)).json()) as { version?: number }).version === input.champion || undefined,
  );
  const handle = await w.client.workflow.start(workflows.abTest, { workflowId: `ab-${input.model}`, taskQueue: w.taskQueue, args: [input] });
  await waitFor(
    'the challenger served',
    async () =>
      ((await (await fetch(`${server.url}/v1/models/${input.model}`)).json()) as { challenger?: { version: number } }).challenger?.version ===
        input.challenger || undefined,
  );
  return handle;
}

beforeAll(async () => {
  s = await isolatedStores('abtest');
  await writeSynthCsv(data, { rows: 3000, seed: 81 });
  await writeSynthCsv(traffic, { rows: 2000, seed: 82 });
  good = await ingest({ uri: data }, { artifacts: s.artifacts });
  const [header, ...lines] = readFileSync(data, 'utf8').trim().split('\n');
  writeFileSync(flippedData, [header, ...lines.map((l) => l.replace(/,([01])$/, (_, y: string) => `,${1 - Number(y)}`))].join('\n'));
  flipped = await ingest({ uri: flippedData }, { artifacts: s.artifacts });
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
  w = await startTestWorker(s, 'abtest', { serveUrl: server.url });
}, 120_000);

afterAll(async () => {
  for (const m of ['better', 'worse', 'tie', 'shadow', 'canary'])
    await w?.client.workflow
      .getHandle(`ab-${m}`)
      .terminate('test done')
      .catch(() => undefined);
  await w?.stop();
  await server?.close();
  await s.drop();
});

describe('abTest', () => {
  it('keeps a key on one arm and splits keys by the share', async () => {
    const champion = await train('better', 'broken');
    const challenger = await train('better', 'good');
    const handle = await startRollout(rollout('better', champion, challenger, { test: { ...rollout('', 0, 0).test, minSamples: 1_000_000 } }));
    const instance = (({ churned: _y, ...r }) => r)(trafficRows()[0]!);
    for (const key of ['alice', 'bob', 'carol']) {
      const arms = new Set<string>();
      for (let i = 0; i < 10; i++) arms.add(JSON.stringify(await predict('better', key, [instance])));
      expect(new Set([...arms].map((a) => JSON.parse(a).arm)).size).toBe(1);
    }
    const counts = { champion: 0, challenger: 0 };
    for (let i = 0; i < 400; i++) counts[(await predict('better', `k${i}`, [instance])).arm as 'champion' | 'challenger']++;
    expect(counts.challenger / 400).toBeGreaterThan(0.4);
    expect(counts.challenger / 400).toBeLessThan(0.6);
    await handle.terminate('next test');
    await s.registry.setAlias({ model: 'better', alias: 'challenger', version: null, actor: 'test', reason: 'reset' });
    await s.pool.query(`DELETE FROM predictions WHERE model = 'better'`);
  });

  it('promotes a clearly better challenger, with the numbers in the alias history', async () => {
    const handle = await startRollout(rollout('better', 1, 2));
    await sendTraffic('better');
    const result = (await handle.result()) as AbTestResult;
    expect(result).toMatchObject({ decision: 'promote', production: 2 });
    expect(result.reason).toMatch(/the challenger is better: challenger 0\.\d+ vs champion 0\.\d+ .*always-valid p=/);
    expect(await s.registry.getAlias('better', 'production')).toBe(2);
    expect(await s.registry.getAlias('better', 'challenger')).toBeUndefined();
    const moves = await s.registry.aliasHistory('better');
    const promoted = moves.filter((m) => m.alias === 'production').at(-1)!;
    expect(promoted).toMatchObject({ fromVersion: 1, toVersion: 2, actor: 'abTest:ab-better', reason: result.reason });
    expect(promoted.details).toMatchObject({ decision: 'promote', numbers: { alwaysValidPValue: expect.any(Number), treatmentTrials: expect.any(Number) } });
    expect(await (await fetch(`${server.url}/v1/models/better`)).json()).toMatchObject({ version: 2 });
  });

  it('rolls back a clearly worse challenger', async () => {
    const champion = await train('worse', 'good');
    const challenger = await train('worse', 'broken');
    const handle = await startRollout(rollout('worse', champion, challenger));
    await sendTraffic('worse');
    const result = (await handle.result()) as AbTestResult;
    expect(result).toMatchObject({ decision: 'rollback', production: champion });
    expect(await s.registry.getAlias('worse', 'production')).toBe(champion);
    expect(await s.registry.getAlias('worse', 'challenger')).toBeUndefined();
    expect((await s.registry.aliasHistory('worse', 'challenger')).at(-1)).toMatchObject({ toVersion: null, details: { decision: 'rollback' } });
  });

  it('keeps the champion when the test is undecided at its maximum duration', async () => {
    const champion = await train('tie', 'good', 1);
    const challenger = await train('tie', 'good', 1.5);
    const input = rollout('tie', champion, challenger);
    const handle = await startRollout({ ...input, test: { ...input.test, maxDuration: 4 } });
    const result = (await handle.result()) as AbTestResult;
    expect(result).toMatchObject({ decision: 'keep-champion', production: champion });
    expect(result.reason).toMatch(/tie at the maximum duration/);
    expect(await s.registry.getAlias('tie', 'challenger')).toBeUndefined();
    // A person may still promote it by hand; the move is recorded the same way.
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    expect(await mlopsAsync(['models', 'promote', 'tie', String(challenger + 10), '--reason', 'x'], env)).toMatchObject({
      code: 2,
      stderr: `mlops: model tie has no version ${challenger + 10}\n`,
    });
    expect(await mlopsAsync(['models', 'promote', 'tie', String(challenger), '--reason', 'simpler model, same accuracy'], env)).toMatchObject({
      code: 0,
      stdout: `tie: production v${champion} → v${challenger}\n`,
    });
    expect((await s.registry.aliasHistory('tie', 'production')).at(-1)).toMatchObject({
      fromVersion: champion,
      toVersion: challenger,
      reason: 'simpler model, same accuracy',
      details: { by: 'hand' },
    });
    expect(await mlopsAsync(['models', 'rollback', 'tie', '--reason', 'changed my mind'], env)).toMatchObject({
      code: 0,
      stdout: `tie: production v${challenger} → v${champion} (rolled back)\n`,
    });
  });

  it('a CT run with deploy.strategy canary deploys its first model directly, then starts a rollout for the next', async () => {
    const spec = {
      name: 'canary',
      data: { uri: data },
      target: 'churned',
      features: { exclude: ['customer_id'] },
      deploy: { strategy: 'canary', share: 0.2 },
      monitor: { enabled: false },
    };
    const first = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: 'ct-canary',
      taskQueue: w.taskQueue,
      args: [spec],
    })) as RunResult;
    expect(first.deployed).toEqual({ alias: 'production', version: 1 });
    expect(first.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/no production version to test against/)]));
    const second = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: 'ct-canary',
      taskQueue: w.taskQueue,
      args: [{ ...spec, data: { uri: traffic } }],
    })) as RunResult;
    expect(second).toMatchObject({ status: 'deployed', deployed: { alias: 'challenger', version: 2, strategy: 'canary', abTest: 'ab-canary' } });
    expect((await s.registry.aliasHistory('canary', 'staging')).map((m) => [m.toVersion, m.reason])).toEqual([
      [2, 'blessed; staged for its canary against v1'],
    ]);
    const ab = w.client.workflow.getHandle('ab-canary');
    await waitFor(
      'the canary served',
      async () =>
        ((await (await fetch(`${server.url}/v1/models/canary`)).json()) as { challenger?: { version: number; share: number } }).challenger?.share === 0.2 ||
        undefined,
    );
    expect(await ab.query('status')).toMatchObject({ champion: 1, challenger: 2, strategy: 'canary', share: 0.2 });
    await ab.terminate('test done');
  });

  it('mirrors traffic to a shadow without answering with it, and a rollback by hand ends the test', async () => {
    const champion = await train('shadow', 'good');
    const challenger = await train('shadow', 'broken');
    const handle = await startRollout(rollout('shadow', champion, challenger, { strategy: 'shadow', share: 0 }));
    const instance = (({ churned: _y, ...r }) => r)(trafficRows()[0]!);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => predict('shadow', `k${i}`, [instance])));
    expect(new Set(answers.map((a) => `${a.arm}/${a.version}`))).toEqual(new Set([`champion/${champion}`]));
    const mirrored = await waitFor('the shadow predictions logged', async () => {
      await fetch(`${server.url}/v1/models/shadow:feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ labels: [{ id: answers[0]!.ids[0], label: '1' }] }),
      });
      const r = await s.pool.query(`SELECT output->>'shadowOf' AS of FROM predictions WHERE model = 'shadow' AND version = $1`, [challenger]);
      return r.rows.length === 20 ? r.rows : undefined;
    });
    expect(new Set(mirrored.map((r) => r.of))).toEqual(new Set(answers.map((a) => a.ids[0])));
    const env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
    expect(await mlopsAsync(['models', 'rollback', 'shadow'], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --reason/) });
    const cli = await mlopsAsync(['models', 'rollback', 'shadow', '--reason', 'shadow too slow'], env);
    expect(cli).toMatchObject({ code: 0, stdout: `shadow: challenger v${challenger} rolled back; production stays v${champion}\n` });
    const result = (await handle.result()) as AbTestResult;
    expect(result).toMatchObject({ decision: 'ended-by-hand', production: champion });
    expect((await s.registry.aliasHistory('shadow', 'challenger')).at(-1)).toMatchObject({
      toVersion: null,
      reason: 'shadow too slow',
      actor: expect.stringMatching(/mlops models rollback/),
    });
  });
});
