import { describe, expect, it } from 'vitest';
import { UsageError } from '../../starters/usage-error';
import { parseConcurrency } from '../../starters/worker-command';

describe('mlops worker --concurrency', () => {
  it('takes an integer from 1 to 256, and nothing else', () => {
    expect(parseConcurrency(undefined)).toBeUndefined();
    expect(parseConcurrency('4')).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'two', '', '257']) {
      expect(() => parseConcurrency(bad)).toThrow(UsageError);
      expect(() => parseConcurrency(bad)).toThrow(`--concurrency must be an integer from 1 to 256, got ${JSON.stringify(bad)}`);
    }
  });
});
