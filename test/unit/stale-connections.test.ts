import { describe, expect, it } from 'vitest';
import { isStaleConnectionError, s3RequestRetryable, sqlReadOnly } from '../../core/store/stale-connections';
import { Readable } from 'node:stream';

describe('which calls are retried on a stale connection', () => {
  it('recognizes resets, broken pipes and hang-ups, and nothing else', () => {
    expect(isStaleConnectionError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isStaleConnectionError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(isStaleConnectionError(new Error('socket hang up'))).toBe(true);
    expect(isStaleConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isStaleConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isStaleConnectionError(new Error('duplicate key value violates unique constraint'))).toBe(false);
    expect(isStaleConnectionError(undefined)).toBe(false);
  });

  it('retries idempotent S3 methods with a replayable body, never POST or a consumed stream', () => {
    expect(s3RequestRetryable('GET', '')).toBe(true);
    expect(s3RequestRetryable('PUT', Buffer.from('x'))).toBe(true);
    expect(s3RequestRetryable('HEAD', '')).toBe(true);
    expect(s3RequestRetryable('DELETE', '')).toBe(true);
    expect(s3RequestRetryable('POST', '')).toBe(false);
    expect(s3RequestRetryable('PUT', Readable.from(['x']))).toBe(false);
  });

  it('retries read-only SQL, not writes', () => {
    expect(sqlReadOnly('SELECT version FROM model_versions WHERE model = $1')).toBe(true);
    expect(sqlReadOnly('  -- newest first\n select 1')).toBe(true);
    expect(sqlReadOnly('WITH v AS (SELECT 1) SELECT * FROM v')).toBe(true);
    expect(sqlReadOnly('INSERT INTO events VALUES (1)')).toBe(false);
    expect(sqlReadOnly('WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x')).toBe(false);
    expect(sqlReadOnly('SELECT * FROM t FOR UPDATE')).toBe(false);
    expect(sqlReadOnly("SELECT nextval('s')")).toBe(false);
    expect(sqlReadOnly('UPDATE t SET a = 1')).toBe(false);
    expect(sqlReadOnly('BEGIN')).toBe(false);
  });
});
