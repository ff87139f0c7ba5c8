// `mlops lineage`, `mlops models list|show` and `mlops gc` against real stores, in a schema and prefix of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedStores } from '../support/isolated-stores';
import { mlops } from '../support/cli';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  s = await isolatedStores('cli');
  env = { MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix };
  const data = await s.artifacts.putContent('datasets', '.parquet', Buffer.from('rows'));
  const model = await s.artifacts.putBuffer('models/churn/1/model.onnx', Buffer.from('onnx bytes'));
  const dataset = { ...data, type: 'Dataset' };
  const modelArt = { ...model, type: 'Model' };
  const contexts = [
    { type: 'pipeline_run' as const, name: 'wf/r' },
    { type: 'model' as const, name: 'churn' },
  ];
  // Another run ingested the same content-addressed dataset: it must not show up in churn@1's lineage.
  await s.lineage.recordStage({
    key: 'other/r/ingest',
    stage: 'ingest',
    codeVersion: 'old',
    outputs: [dataset],
    contexts: [{ type: 'pipeline_run', name: 'other/r' }],
  });
  await s.lineage.recordStage({ key: 'wf/r/ingest', stage: 'ingest', codeVersion: 'c0ffee', outputs: [dataset], contexts });
  await s.lineage.recordStage({ key: 'wf/r/validate', stage: 'validate', codeVersion: 'c0ffee', inputs: [dataset], contexts });
  await s.lineage.recordStage({ key: 'wf/r/train', stage: 'train', codeVersion: 'c0ffee', inputs: [dataset], outputs: [modelArt], contexts });
  await s.registry.registerVersion({ model: 'churn', artifact: modelArt, runKey: 'wf/r', metrics: { auc: 0.91 } });
  await s.registry.setAlias({ model: 'churn', alias: 'production', version: 1, actor: 'test', reason: 'blessed' });
  await s.artifacts.putBuffer('orphans/left-behind.bin', Buffer.from('orphan'));
}, 60_000);

afterAll(async () => {
  await s.drop();
});

describe('store commands', () => {
  it('mlops lineage shows the executions and datasets upstream of the production version', () => {
    const r = mlops(['lineage', 'churn', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.model.version).toBe(1);
    expect(out.upstream.executions.map((e: { stage: string }) => e.stage)).toEqual(['ingest', 'validate', 'train']);
    expect(out.run).toBe('wf/r');
    expect(out.upstream.executions[0].codeVersion).toBe('c0ffee');
    expect(out.upstream.artifacts.find((a: { type: string }) => a.type === 'Dataset').sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = mlops(['lineage', 'churn@1'], env);
    expect(text.stdout).toMatch(/churn@1/);
    expect(text.stdout).toMatch(/ingest/);
  });

  it('mlops models list and show report versions, aliases and history', () => {
    const list = mlops(['models', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'churn', latestVersion: 1, aliases: { production: 1 } }]);
    const show = JSON.parse(mlops(['models', 'show', 'churn', '--json'], env).stdout);
    expect(show.versions[0].metrics).toEqual({ auc: 0.91 });
    expect(show.aliasHistory[0]).toMatchObject({ alias: 'production', toVersion: 1, actor: 'test', reason: 'blessed' });
  });

  it('rejects unknown models and bad names with exit 2 and a clear message', () => {
    expect(mlops(['models', 'show', 'nope'], env)).toMatchObject({ code: 2, stderr: 'mlops: model nope is not registered\n' });
    const bad = mlops(['lineage', '../etc'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model name/);
    expect(bad.stderr).not.toMatch(/at .*\.js/);
  });

  it('mlops gc --dry-run lists the orphan and deletes nothing; gc deletes only the orphan', async () => {
    const dry = mlops(['gc', '--dry-run', '--grace-hours', '0'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would delete orphans\/left-behind\.bin/);
    expect(await s.artifacts.exists('orphans/left-behind.bin')).toBe(true);
    const real = mlops(['gc', '--grace-hours', '0'], env);
    expect(real.stdout).toMatch(/deleted orphans\/left-behind\.bin/);
    expect(real.stdout).toMatch(/2 referenced/);
    expect(await s.artifacts.exists('orphans/left-behind.bin')).toBe(false);
    expect(await s.artifacts.exists('models/churn/1/model.onnx')).toBe(true);
  });
});
