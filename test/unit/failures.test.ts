// The error taxonomy: which errors are bugs (two more attempts, then "internal error in <stage>") and which are
// outages (retried with backoff); and the waits that must be able to fail with their own message.
import { describe, expect, it } from 'vitest';
import { SERVE_WAIT_MS } from '../../activities/deploy';
import { internalMessage, isBug } from '../../activities/failures';
import { SERVING_ACTIVITY_OPTIONS } from '../../workflows/stages';

const systemError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });

describe('error taxonomy', () => {
  it('calls SQL the product built wrong, and JavaScript programming errors, bugs', () => {
    expect(isBug(new Error('Binder Error: column "a" must appear in the GROUP BY clause'))).toBe(true);
    expect(isBug(new Error('Parser Error: syntax error at or near "GROUP"'))).toBe(true);
    expect(isBug(new Error('Catalog Error: Table with name t does not exist!'))).toBe(true);
    expect(isBug(new TypeError("Cannot read properties of undefined (reading 'values')"))).toBe(true);
    expect(isBug(new RangeError('Invalid array length'))).toBe(true);
  });

  it('leaves outages to the retry policy, even when a client wraps them in a TypeError', () => {
    expect(isBug(systemError('ECONNREFUSED'))).toBe(false);
    expect(isBug(new TypeError('fetch failed', { cause: systemError('ECONNRESET') }))).toBe(false);
    expect(isBug(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(false);
    expect(isBug(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isBug(new Error('IO Error: Could not write file "/tmp/x": No space left on device'))).toBe(false);
    expect(isBug('a string')).toBe(false);
  });

  it('names the stage and the first line of the error', () => {
    expect(internalMessage('validate', new Error('Binder Error: x\nLINE 1: SELECT'))).toBe('internal error in validate: Binder Error: x');
    expect(internalMessage('train', new TypeError('x is not a function'))).toBe('internal error in train: TypeError: x is not a function');
  });
});

describe('activities that wait on the model server', () => {
  it('time out well after their own wait, and heartbeat', () => {
    const ms = (d: unknown): number => {
      const m = /^(\d+) (second|minute)s?$/.exec(String(d));
      if (!m) throw new Error(`unexpected duration ${String(d)}`);
      return Number(m[1]) * (m[2] === 'minute' ? 60_000 : 1_000);
    };
    expect(ms(SERVING_ACTIVITY_OPTIONS.startToCloseTimeout)).toBeGreaterThanOrEqual(2 * SERVE_WAIT_MS);
    expect(ms(SERVING_ACTIVITY_OPTIONS.heartbeatTimeout)).toBeLessThan(SERVE_WAIT_MS);
  });
});
