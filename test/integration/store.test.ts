import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { ArtifactError, assertKey, parseS3Uri } from '../../core/store/artifacts';
import { createS3Client } from '../../core/store/s3';
import { collectGarbage } from '../../core/store/gc';
import { listenAliasChanges, type AliasNotification } from '../../core/store/registry';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const sha = (c: string): string => c.repeat(64);

beforeAll(async () => {
  s = await isolatedStores('store');
});
afterAll(async () => {
  await s.drop();
});

describe('artifact store', () => {
  it('round-trips a buffer, a file and a stream, storing the same content once', async () => {
    const data = Buffer.from(`hello ${randomBytes(8).toString('hex')}`);
    const a = await s.artifacts.putContent('blobs', '.txt', data);
    const b = await s.artifacts.putContent('blobs', '.txt', Readable.from([data.subarray(0, 3), data.subarray(3)]));
    expect(b).toEqual(a);
    expect(a.uri).toMatch(new RegExp(`^s3://mlops/test/store_[0-9a-f]+/blobs/${a.sha256}\\.txt$`));
    expect((await s.artifacts.list('blobs')).length).toBe(1);
    expect(await s.artifacts.getBuffer(s.artifacts.keyOf(a.uri))).toEqual(data);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-store-'));
    writeFileSync(path.join(dir, 'in.bin'), randomBytes(300_000));
    const f = await s.artifacts.putFile('files/in.bin', path.join(dir, 'in.bin'));
    await s.artifacts.getFile('files/in.bin', path.join(dir, 'out.bin'), f.sha256);
    expect(readFileSync(path.join(dir, 'out.bin'))).toEqual(readFileSync(path.join(dir, 'in.bin')));
    expect(await s.artifacts.exists('files/in.bin')).toBe(true);
    expect(await s.artifacts.exists('files/missing.bin')).toBe(false);
  });

  it('refuses to overwrite an artifact with other bytes', async () => {
    await s.artifacts.putBuffer('immutable/x', Buffer.from('one'));
    await s.artifacts.putBuffer('immutable/x', Buffer.from('one'));
    await expect(s.artifacts.putBuffer('immutable/x', Buffer.from('two'))).rejects.toThrow(/immutable/);
  });

  it('detects a hash mismatch and names the key', async () => {
    const ref = await s.artifacts.putBuffer('tamper/model.onnx', Buffer.from('original'));
    // Replace the object behind the store's back, keeping the original hash in its metadata.
    const config = loadConfig();
    const { key } = parseS3Uri(ref.uri);
    await createS3Client(config).putObject(config.s3.bucket, key, Buffer.from('tampered'), 8, { sha256: ref.sha256 });
    await expect(s.artifacts.getBuffer('tamper/model.onnx')).rejects.toThrow(`artifact ${key}: sha256 mismatch`);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlops-store-')), 'm.onnx');
    await expect(s.artifacts.getFile('tamper/model.onnx', out)).rejects.toThrow(/sha256 mismatch/);
    expect(() => readFileSync(out)).toThrow();
    await expect(s.artifacts.getBuffer('tamper/model.onnx', sha('0'))).rejects.toThrow(ArtifactError);
  });

  it('refuses keys with .., absolute paths or control characters', () => {
    for (const bad of ['../etc/passwd', 'a/../../b', '/abs/key', 'a\nb', 'a\x00b', 'a//b', 'a/', '', 'a\\b', './a']) {
      expect(() => assertKey(bad)).toThrow(ArtifactError);
    }
    expect(assertKey('models/churn/3/model.onnx')).toBe('models/churn/3/model.onnx');
    expect(() => parseS3Uri('s3://mlops/../x')).toThrow(ArtifactError);
    expect(() => parseS3Uri('http://x/y')).toThrow(/s3:\/\//);
  });
});

describe('lineage store', () => {
  const dataset = { uri: 's3://mlops/datasets/d1.parquet', sha256: sha('a'), type: 'Dataset', properties: { rows: 10 } };
  const features = { uri: 's3://mlops/features/f1.parquet', sha256: sha('b'), type: 'Features' };
  const model = { uri: 's3://mlops/models/churn/1/model.onnx', sha256: sha('c'), type: 'Model' };
  const report = { uri: 's3://mlops/reports/r1.json', sha256: sha('d'), type: 'Report' };
  const ctx = [
    { type: 'pipeline_run' as const, name: 'wf-1/run-1' },
    { type: 'model' as const, name: 'churn' },
  ];

  it('records stages idempotently under a simulated retry', async () => {
    const first = await s.lineage.recordStage({
      key: 'wf-1/run-1/ingest',
      stage: 'ingest',
      codeVersion: 'abc',
      params: { uri: 'x.csv' },
      outputs: [dataset],
      contexts: ctx,
    });
    const retry = await s.lineage.recordStage({
      key: 'wf-1/run-1/ingest',
      stage: 'ingest',
      codeVersion: 'abc',
      params: { uri: 'x.csv' },
      outputs: [dataset],
      contexts: ctx,
    });
    expect(retry.executionId).toBe(first.executionId);
    await s.lineage.recordStage({ key: 'wf-1/run-1/features', stage: 'features', codeVersion: 'abc', inputs: [dataset], outputs: [features], contexts: ctx });
    await s.lineage.recordStage({
      key: 'wf-1/run-1/train',
      stage: 'train',
      codeVersion: 'abc',
      params: { seed: 7 },
      inputs: [features],
      outputs: [model],
      contexts: ctx,
    });
    await s.lineage.recordStage({
      key: 'wf-1/run-1/train',
      stage: 'train',
      codeVersion: 'abc',
      params: { seed: 7 },
      inputs: [features],
      outputs: [model],
      contexts: ctx,
    });
    await s.lineage.recordStage({
      key: 'wf-1/run-1/evaluate',
      stage: 'evaluate',
      codeVersion: 'abc',
      inputs: [model, dataset],
      outputs: [report],
      contexts: ctx,
    });
    const counts = await s.pool.query(`SELECT (SELECT count(*) FROM executions)::int AS x, (SELECT count(*) FROM artifacts)::int AS a,
      (SELECT count(*) FROM events)::int AS e, (SELECT count(*) FROM contexts)::int AS c, (SELECT count(*) FROM associations)::int AS s`);
    // events: ingest 1, features 2, train 2, evaluate 3; each execution associated with both contexts.
    expect(counts.rows[0]).toEqual({ x: 4, a: 4, e: 8, c: 2, s: 8 });
  });

  it('refuses the same artifact URI with another hash', async () => {
    await expect(s.lineage.putArtifact({ ...dataset, sha256: sha('e') })).rejects.toThrow(/immutable/);
  });

  it('answers everything upstream of a model and downstream of a dataset', async () => {
    const m = (await s.lineage.artifactByUri(model.uri))!;
    const up = await s.lineage.upstream(m.id);
    expect(up.executions.map((e) => e.stage)).toEqual(['ingest', 'features', 'train']);
    expect(up.artifacts.map((a) => a.uri).sort()).toEqual([dataset.uri, features.uri, model.uri].sort());
    expect(up.artifacts.find((a) => a.type === 'Dataset')?.sha256).toBe(dataset.sha256);
    expect(up.executions.every((e) => e.codeVersion === 'abc')).toBe(true);
    expect(up.executions.find((e) => e.stage === 'train')?.params).toEqual({ seed: 7 });

    const d = (await s.lineage.artifactByUri(dataset.uri))!;
    const down = await s.lineage.downstream(d.id);
    expect(down.executions.map((e) => e.stage).sort()).toEqual(['evaluate', 'features', 'train']);
    expect(down.artifacts.map((a) => a.uri)).toEqual(expect.arrayContaining([model.uri, report.uri, features.uri]));
  });
});

describe('model registry', () => {
  const art = (n: number) => ({ uri: `s3://mlops/models/fraud/${n}/model.onnx`, sha256: (n + 1).toString(16).repeat(64).slice(0, 64), type: 'Model' });

  it('numbers versions per model and returns the same version on a retried registration', async () => {
    const v1 = await s.registry.registerVersion({ model: 'fraud', artifact: art(1), runKey: 'run-a', metrics: { auc: 0.8 }, signature: { inputs: [] } });
    const again = await s.registry.registerVersion({ model: 'fraud', artifact: art(1), runKey: 'run-a' });
    const v2 = await s.registry.registerVersion({ model: 'fraud', artifact: art(2), runKey: 'run-b' });
    const other = await s.registry.registerVersion({ model: 'spam', artifact: { ...art(3), uri: 's3://mlops/models/spam/1/model.onnx' }, runKey: 'run-c' });
    expect([v1.version, again.version, v2.version, other.version]).toEqual([1, 1, 2, 1]);
    expect(v1.metrics).toEqual({ auc: 0.8 });
    expect((await s.registry.listVersions('fraud')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('appends every alias move to the history, notifies listeners, and knows what was in production when', async () => {
    const seen: AliasNotification[] = [];
    const stop = await listenAliasChanges(loadConfig().databaseUrl, s.schema, (n) => seen.push(n));
    try {
      const m1 = await s.registry.setAlias({ model: 'fraud', alias: 'production', version: 1, actor: 'alice', reason: 'first deploy' });
      const noop = await s.registry.setAlias({ model: 'fraud', alias: 'production', version: 1, actor: 'alice', reason: 'retry' });
      const between = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await s.registry.setAlias({ model: 'fraud', alias: 'production', version: 2, actor: 'ct-pipeline', reason: 'blessed', details: { auc: 0.85 } });
      await s.registry.setAlias({ model: 'fraud', alias: 'production', version: 1, actor: 'bob', reason: 'rollback' });
      expect(m1?.fromVersion).toBeNull();
      expect(noop).toBeUndefined();
      const history = await s.registry.aliasHistory('fraud', 'production');
      expect(history.map((h) => [h.fromVersion, h.toVersion, h.actor, h.reason])).toEqual([
        [null, 1, 'alice', 'first deploy'],
        [1, 2, 'ct-pipeline', 'blessed'],
        [2, 1, 'bob', 'rollback'],
      ]);
      expect(await s.registry.aliasAt('fraud', 'production', between)).toBe(1);
      expect(await s.registry.getAlias('fraud', 'production')).toBe(1);
      await expect(s.pool.query('DELETE FROM alias_history')).rejects.toThrow(/append-only/);
      await expect(s.registry.setAlias({ model: 'fraud', alias: 'production', version: 9, actor: 'x', reason: 'y' })).rejects.toThrow(/no version 9/);
      const deadline = Date.now() + 5_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen.map((n) => [n.model, n.alias, n.from, n.to])).toEqual([
        ['fraud', 'production', null, 1],
        ['fraud', 'production', 1, 2],
        ['fraud', 'production', 2, 1],
      ]);
    } finally {
      await stop();
    }
  });

  it('lists models with their aliases', async () => {
    const models = await s.registry.listModels();
    expect(models.map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
      ['fraud', 2, { production: 1 }],
      ['spam', 1, {}],
    ]);
  });
});

describe('garbage collection', () => {
  it('keeps referenced and young artifacts and removes an old orphan', async () => {
    const kept = await s.artifacts.putContent('gc', '.bin', Buffer.from('referenced'));
    await s.lineage.putArtifact({ uri: kept.uri, sha256: kept.sha256, type: 'Dataset' });
    const orphan = await s.artifacts.putContent('gc', '.bin', Buffer.from('orphan'));
    const later = new Date(Date.now() + 48 * 3600 * 1000);

    const young = await collectGarbage(s.artifacts, s.lineage, { dryRun: true });
    expect(young.deleted.map((d) => d.key)).not.toContain(s.artifacts.keyOf(orphan.uri));

    const dry = await collectGarbage(s.artifacts, s.lineage, { dryRun: true, now: later });
    expect(dry.deleted.map((d) => d.key)).toContain(s.artifacts.keyOf(orphan.uri));
    expect(await s.artifacts.exists(s.artifacts.keyOf(orphan.uri))).toBe(true);

    const real = await collectGarbage(s.artifacts, s.lineage, { now: later });
    expect(real.deleted.map((d) => d.key)).toContain(s.artifacts.keyOf(orphan.uri));
    expect(real.deleted.map((d) => d.key)).not.toContain(s.artifacts.keyOf(kept.uri));
    expect(await s.artifacts.exists(s.artifacts.keyOf(orphan.uri))).toBe(false);
    expect(await s.artifacts.exists(s.artifacts.keyOf(kept.uri))).toBe(true);
  });
});
