// The gates of deployment targets: a bundle over gates.maxBundleBytes or an edge p99 over gates.maxEdgeP99Ms is
// not blessed for that target; the server target is decided by the evaluate stage's gates, not these.
import { describe, expect, it } from 'vitest';
import type { TargetCostsResult } from '../../core/export/costs';
import { maxBundleBytesFor, targetVerdict } from '../../core/export/gates';

const measured = (target: 'server' | 'edge' | 'browser', bundleBytes: number | null, p99Ms: number): TargetCostsResult => ({
  target,
  modelBytes: 3_000,
  bundleBytes,
  loadMs: 5,
  runtime: 'x',
  via: 'test',
  singleRow: { calls: 300, p50Ms: p99Ms / 2, p99Ms },
  throughput: { rowsPerSecond: 1e5, batchRows: 1000, seconds: 1 },
});
const none = { maxBundleBytes: null, maxEdgeP99Ms: null };

describe('target gates', () => {
  it('blesses every target when no target gate is set', () => {
    for (const t of ['server', 'edge', 'browser'] as const)
      expect(targetVerdict(measured(t, t === 'server' ? null : 14e6, 50), none)).toEqual({ blessed: true, reasons: [] });
  });

  it('refuses a bundle too big for its target, per target or for all', () => {
    const perTarget = { maxBundleBytes: { browser: 1_000_000 }, maxEdgeP99Ms: null };
    expect(targetVerdict(measured('browser', 14_334_559, 1), perTarget)).toEqual({
      blessed: false,
      reasons: ['browser bundle is 14334559 bytes, over gates.maxBundleBytes 1000000'],
    });
    expect(targetVerdict(measured('edge', 22_408, 1), perTarget).blessed).toBe(true);
    expect(targetVerdict(measured('edge', 22_409, 1), { maxBundleBytes: 22_408, maxEdgeP99Ms: null }).reasons).toEqual([
      'edge bundle is 22409 bytes, over gates.maxBundleBytes 22408',
    ]);
    expect(targetVerdict(measured('edge', 22_408, 1), { maxBundleBytes: 22_408, maxEdgeP99Ms: null }).blessed).toBe(true);
    expect(maxBundleBytesFor({ maxBundleBytes: { edge: 5 } }, 'browser')).toBeNull();
  });

  it('refuses an edge bundle slower than gates.maxEdgeP99Ms, and one whose latency could not be measured', () => {
    expect(targetVerdict(measured('edge', 1, 2.5), { maxBundleBytes: null, maxEdgeP99Ms: 2 })).toEqual({
      blessed: false,
      reasons: ['edge single-row p99 is 2.5 ms, over gates.maxEdgeP99Ms 2'],
    });
    expect(targetVerdict(measured('edge', 1, 2), { maxBundleBytes: null, maxEdgeP99Ms: 2 }).blessed).toBe(true);
    // The edge gate bounds the edge only.
    expect(targetVerdict(measured('browser', 1, 50), { maxBundleBytes: null, maxEdgeP99Ms: 2 }).blessed).toBe(true);
    const unmeasured: TargetCostsResult = { target: 'edge', modelBytes: 1, bundleBytes: 1, unmeasured: 'no runtime' };
    expect(targetVerdict(unmeasured, { maxBundleBytes: null, maxEdgeP99Ms: 2 }).reasons).toEqual([
      'edge latency could not be measured (no runtime), and gates.maxEdgeP99Ms asks for it',
    ]);
  });
});
