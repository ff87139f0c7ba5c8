// The govern stage as an activity: terms vs purpose, the feature graph, representation of protected groups.
import { governStage, type FeatureStageInput } from '../core/features/stages';
import type { GovernanceReport } from '../core/features/govern';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export function makeGovern(deps: { artifacts: ArtifactStore; lineage: LineageStore }) {
  return async function governData(input: FeatureStageInput & { model: string }): Promise<GovernanceReport & { reportUri: string }> {
    return runStage(deps.lineage, 'govern', input.model, async (progress) => {
      const { report, reportRef } = await governStage(input, { artifacts: deps.artifacts, onProgress: progress });
      return {
        result: { ...report, reportUri: reportRef.uri },
        // License, terms and purpose go into lineage with the execution.
        params: { license: report.license, purpose: report.purpose, prohibited: report.prohibited, protected: report.protected, warnings: report.warnings },
        inputs: [{ uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' }],
        outputs: [{ uri: reportRef.uri, sha256: reportRef.sha256, type: 'GovernanceReport' }],
      };
    });
  };
}
