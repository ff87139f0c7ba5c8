// Stale keep-alive connections: a proxy in front of the real MinIO and Postgres forgets connections that sit
// idle, so the next request on one is reset. The store's clients retry what is safe to retry and go on; the
// same calls through bare clients fail, which shows the proxy really leaves them a dead connection.
import { randomBytes } from 'node:crypto';
import { Client } from 'minio';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../core/config';
import { ArtifactStore } from '../../core/store/artifacts';
import { CHECK_IDLE_AFTER_MS, createPool } from '../../core/store/db';
import { createS3Client } from '../../core/store/s3';
import { startStaleProxy, type StaleProxy } from '../support/stale-proxy';

const IDLE_MS = CHECK_IDLE_AFTER_MS + 200;
const idle = (): Promise<void> => new Promise((r) => setTimeout(r, IDLE_MS + 300));
const id = randomBytes(4).toString('hex');

let config: Config;
let s3Proxy: StaleProxy;
let pgProxy: StaleProxy;

beforeAll(async () => {
  config = loadConfig();
  const s3 = new URL(config.s3.endpoint);
  const db = new URL(config.databaseUrl);
  s3Proxy = await startStaleProxy({ host: s3.hostname, port: Number(s3.port || 80) }, IDLE_MS);
  pgProxy = await startStaleProxy({ host: db.hostname, port: Number(db.port || 5432) }, IDLE_MS);
});

afterAll(async () => {
  await s3Proxy?.close();
  await pgProxy?.close();
});

const viaProxy = (url: string, port: number): string => {
  const u = new URL(url);
  u.port = String(port);
  return u.toString().replace(/\/$/, '');
};

describe('stale keep-alive connections', () => {
  it('retries an idempotent S3 call that meets a connection dropped while idle, and logs it', async () => {
    const logs: string[] = [];
    const proxied = { ...config, s3: { ...config.s3, endpoint: viaProxy(config.s3.endpoint, s3Proxy.port) } };
    const store = new ArtifactStore(createS3Client(proxied, { log: (l) => logs.push(l) }), config.s3.bucket, `test/stale_${id}`);
    const ref = await store.putBuffer('a.txt', Buffer.from('kept across a dead socket'), 'text/plain');
    const before = s3Proxy.resets();
    await idle();
    expect((await store.getBuffer('a.txt', ref.sha256)).toString()).toBe('kept across a dead socket');
    expect(s3Proxy.resets()).toBeGreaterThan(before);
    expect(logs.join('\n')).toMatch(/s3 (GET|HEAD) .*a\.txt: .*on a stale connection; retrying \(1\/\d\)/);

    // The same sequence through a bare client fails: the proxy really leaves it a dead connection.
    const u = new URL(proxied.s3.endpoint);
    const bare = new Client({
      endPoint: u.hostname,
      port: Number(u.port),
      useSSL: false,
      accessKey: config.s3.accessKey,
      secretKey: config.s3.secretKey,
      pathStyle: true,
      region: 'us-east-1',
    });
    await bare.statObject(config.s3.bucket, `test/stale_${id}/a.txt`);
    await idle();
    await expect(bare.statObject(config.s3.bucket, `test/stale_${id}/a.txt`)).rejects.toThrow(/ECONNRESET|socket hang up/);
    await store.remove('a.txt');
  }, 30_000);

  it('replaces a stale idle Postgres connection before a write or a transaction, applying each once', async () => {
    const logs: string[] = [];
    const schema = `t_stale_${id}`;
    const proxied = { ...config, databaseUrl: viaProxy(config.databaseUrl, pgProxy.port) };
    const admin = createPool(config, { schema: 'public' });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.events (id int PRIMARY KEY)`);
    const pool = createPool(proxied, { schema, log: (l) => logs.push(l) });
    try {
      await pool.query('SELECT 1');
      await idle();
      await pool.query('INSERT INTO events VALUES (1)');
      expect(pgProxy.resets()).toBeGreaterThan(0);
      await idle();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO events VALUES (2)');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await idle();
      const { rows } = await pool.query<{ id: number }>('SELECT id FROM events ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual([1, 2]);
      expect(pgProxy.resets()).toBeGreaterThanOrEqual(3);
      expect(logs.filter((l) => /postgres: an idle connection had gone stale .*; taking another \(1\/\d\)/.test(l)).length).toBeGreaterThanOrEqual(3);

      // A bare pool through the same proxy meets the dead connection.
      const bare = new pg.Pool({ connectionString: proxied.databaseUrl, max: 1 });
      bare.on('error', () => undefined);
      await bare.query('SELECT 1');
      await idle();
      await expect(bare.query('SELECT 1')).rejects.toThrow(/ECONNRESET|Connection terminated|EPIPE/);
      await bare.end();
    } finally {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  }, 30_000);
});
