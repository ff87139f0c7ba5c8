// The deploy stage's targets (deploy.targets edge/browser): bundles written and stored, costs measured, target
// gates applied, target aliases moved (core/export/targets.ts). Runs after the server deploy, only when a spec
// names a target beyond the server.
import type { DeployTarget, TargetDeployment } from '../core/export/targets';
import { deployTargets } from '../core/export/targets';
import type { GateSpec } from '../core/spec';
import type { Stores } from '../core/store';
import { measureServer } from '../serving/target-costs';
import { runStage } from './stage';

export interface DeployTargetsInput {
  model: string;
  version: number;
  targets: DeployTarget[];
  gates: Pick<GateSpec, 'maxBundleBytes' | 'maxEdgeP99Ms'>;
  actor: string;
  reason: string;
}

export function makeTargets(stores: Stores) {
  return async function deployToTargets(input: DeployTargetsInput): Promise<TargetDeployment[]> {
    return runStage(stores.lineage, 'deploy-targets', input.model, async (progress) => {
      const result = await deployTargets(stores, input, { measureServer, progress });
      const mv = await stores.registry.getVersion(input.model, input.version);
      return {
        result,
        params: { version: input.version, targets: result.map((t) => ({ target: t.target, blessed: t.blessed, reasons: t.reasons })) },
        ...(mv ? { inputs: [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }] } : {}),
        outputs: result.flatMap((t) =>
          t.bundle
            ? [{ uri: t.bundle.uri, sha256: t.bundle.sha256, type: 'Bundle', properties: { target: t.target, model: input.model, version: input.version } }]
            : [],
        ),
      };
    });
  };
}
