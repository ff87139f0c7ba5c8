// The local stack, brought up by the project's own code on ports of its own, so stopping and restarting
// it never disturbs the shared stack the other test files use.
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseEnvFile } from '../../core/config';
import { createPool } from '../../core/store/db';
import { createS3Client } from '../../core/store/s3';
import { loadMigrations, migrate } from '../../infra/migrate';
import { down, status, up } from '../../infra/stack';

const home = mkdtempSync(path.join(os.tmpdir(), 'mlops-stack-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  MLOPS_HOME: home,
  TEMPORAL_ADDRESS: '127.0.0.1:17233',
  MLOPS_S3_ENDPOINT: 'http://127.0.0.1:19000',
  MLOPS_PG_PORT: '15433',
  MLOPS_SERVE_ADDRESS: '127.0.0.1:18080',
  MLOPS_CONSOLE_ADDRESS: '127.0.0.1:18090',
  MLOPS_S3_ACCESS_KEY: '',
  MLOPS_S3_SECRET_KEY: '',
  MLOPS_DATABASE_URL: '',
};
const log = (): void => undefined;

describe('local stack', () => {
  beforeAll(async () => {
    await up({ env, log, worker: false });
  }, 180_000);

  afterAll(async () => {
    const link = path.join(home, 'postgres');
    const elsewhere = existsSync(link) && lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
    await down({ env });
    rmSync(home, { recursive: true, force: true });
    if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
  }, 60_000);

  it('reports every managed service healthy after up', async () => {
    const s = await status(loadConfig(env));
    expect(s.temporal.ok).toBe(true);
    expect(s.temporal.uiOk).toBe(true);
    expect(s.minio.ok).toBe(true);
    expect(s.postgres.ok).toBe(true);
    expect(s.postgres.migrations).toBe(`${loadMigrations().length}/${loadMigrations().length}`);
  });

  it('registers the search attributes on the dev server', async () => {
    const connection = await Connection.connect({ address: '127.0.0.1:17233' });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(res.customAttributes).toMatchObject({ MlopsModel: 2, MlopsLevel: 3, MlopsTrigger: 2 });
    } finally {
      await connection.close();
    }
  });

  it('writes local.env once with mode 0600 and never prints a secret in status', async () => {
    const file = path.join(home, 'local.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = readFileSync(file, 'utf8');
    await up({ env, log, worker: false });
    expect(readFileSync(file, 'utf8')).toBe(before);
    const secrets = parseEnvFile(before, file);
    const password = new URL(secrets.MLOPS_DATABASE_URL!).password;
    const printed = JSON.stringify(await status(loadConfig(env)));
    for (const secret of [secrets.MLOPS_S3_SECRET_KEY!, secrets.MLOPS_S3_ACCESS_KEY!, password]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(printed).not.toContain(secret);
    }
  });

  it('applies each migration once', async () => {
    const pool = createPool(loadConfig(env));
    try {
      expect(await migrate(pool, 'mlops')).toEqual([]);
      const rows = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    } finally {
      await pool.end();
    }
  });

  it('reports stopped services as not ok, and keeps history, objects and rows across down and up', async () => {
    const config = loadConfig(env);
    const workflowId = `stack-restart-${Date.now()}`;
    let connection = await Connection.connect({ address: config.temporal.address });
    await new Client({ connection }).workflow.start('notRegistered', { taskQueue: 'stack-test-nobody', workflowId, args: [{}] });
    await connection.close();
    const s3 = createS3Client(config);
    await s3.putObject(config.s3.bucket, 'stack-test/kept.txt', Buffer.from('kept'));
    const pool = createPool(config);
    await pool.query('CREATE TABLE IF NOT EXISTS stack_test_kept (v text)');
    await pool.query("INSERT INTO stack_test_kept VALUES ('kept')");
    await pool.end();

    await down({ env });
    const stopped = await status(config);
    expect([stopped.temporal.ok, stopped.minio.ok, stopped.postgres.ok]).toEqual([false, false, false]);

    await up({ env, log, worker: false });
    connection = await Connection.connect({ address: config.temporal.address });
    const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
    await connection.close();
    const body = await s3.getObject(config.s3.bucket, 'stack-test/kept.txt');
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('kept');
    const pool2 = createPool(config);
    const rows = await pool2.query('SELECT v FROM stack_test_kept');
    await pool2.end();
    expect(rows.rows).toEqual([{ v: 'kept' }]);
  }, 120_000);

  it("refuses to share another home's stack on the same ports, naming the conflict, and leaves that stack running", async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'mlops-stack-other-'));
    const otherEnv = { ...env, MLOPS_HOME: other };
    try {
      await expect(up({ env: otherEnv, log, worker: false })).rejects.toThrow(
        /MinIO at http:\/\/127\.0\.0\.1:19000 refuses this home's credentials .*another stack .*mlops down/,
      );
    } finally {
      await down({ env: otherEnv });
      const link = path.join(other, 'postgres');
      if (existsSync(link) && lstatSync(link).isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
    const s = await status(loadConfig(env));
    expect([s.temporal.ok, s.minio.ok, s.postgres.ok]).toEqual([true, true, true]);
  }, 120_000);
});
