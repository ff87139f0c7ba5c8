// Whether a version may go to a deployment target: its bundle within gates.maxBundleBytes (for all targets or
// per target) and, on the edge, its single-row p99 within gates.maxEdgeP99Ms. A target whose latency could not
// be measured is not blessed when a latency gate asks for it.
import type { GateSpec } from '../spec';
import type { TargetCostsResult } from './costs';

export interface TargetVerdict {
  blessed: boolean;
  reasons: string[];
}

export function maxBundleBytesFor(gates: Pick<GateSpec, 'maxBundleBytes'>, target: 'edge' | 'browser'): number | null {
  const g = gates.maxBundleBytes;
  if (g === null || g === undefined) return null;
  return typeof g === 'number' ? g : (g[target] ?? null);
}

export function targetVerdict(costs: TargetCostsResult, gates: Pick<GateSpec, 'maxBundleBytes' | 'maxEdgeP99Ms'>): TargetVerdict {
  const reasons: string[] = [];
  if (costs.target === 'server') return { blessed: true, reasons };
  const maxBytes = maxBundleBytesFor(gates, costs.target);
  if (maxBytes !== null && costs.bundleBytes !== null && costs.bundleBytes > maxBytes) {
    reasons.push(`${costs.target} bundle is ${costs.bundleBytes} bytes, over gates.maxBundleBytes ${maxBytes}`);
  }
  if (costs.target === 'edge' && gates.maxEdgeP99Ms !== null && gates.maxEdgeP99Ms !== undefined) {
    if ('unmeasured' in costs) reasons.push(`edge latency could not be measured (${costs.unmeasured}), and gates.maxEdgeP99Ms asks for it`);
    else if (costs.singleRow.p99Ms > gates.maxEdgeP99Ms)
      reasons.push(`edge single-row p99 is ${costs.singleRow.p99Ms} ms, over gates.maxEdgeP99Ms ${gates.maxEdgeP99Ms}`);
  }
  return { blessed: reasons.length === 0, reasons };
}
