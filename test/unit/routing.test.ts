import { describe, expect, it } from 'vitest';
import { armFor, bucketOf, parseRoute } from '../../core/rollout/routing';

describe('rollout routing', () => {
  it('puts a key in the same place every time, and keys spread evenly', () => {
    expect(bucketOf('churn', 'alice')).toBe(bucketOf('churn', 'alice'));
    expect(bucketOf('churn', 'alice')).not.toBe(bucketOf('other', 'alice'));
    const share =
      Array.from({ length: 10_000 }, (_, i) => armFor('churn', `k${i}`, { strategy: 'canary', share: 0.1 })).filter((a) => a === 'challenger').length / 10_000;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
  });

  it('never answers with a shadow', () => {
    for (let i = 0; i < 100; i++) expect(armFor('churn', `k${i}`, { strategy: 'shadow', share: 1 })).toBe('champion');
  });

  it('refuses a challenger move without a route', () => {
    expect(parseRoute({ strategy: 'ab', share: 0.5 })).toEqual({ strategy: 'ab', share: 0.5 });
    expect(() => parseRoute({ strategy: 'blue-green', share: 0.5 })).toThrow(/lack a strategy \(canary, ab or shadow\)/);
    expect(() => parseRoute({ strategy: 'ab', share: 2 })).toThrow(/share from 0 to 1/);
    expect(() => parseRoute(undefined)).toThrow(/lack a strategy/);
  });
});
