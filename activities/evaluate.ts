// The evaluate stage as an activity: champion comparison and gates; the verdict goes into lineage.
import { evaluateStage, type EvaluateInput, type Evaluation } from '../core/ml/evaluate';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type { ModelRegistry } from '../core/store/registry';
import { runStage } from './stage';

export function makeEvaluate(deps: { artifacts: ArtifactStore; lineage: LineageStore; registry: ModelRegistry }) {
  return async function evaluateModel(input: EvaluateInput): Promise<Evaluation> {
    return runStage(deps.lineage, 'evaluate', input.model, async (progress) => {
      const evaluation = await evaluateStage(input, { artifacts: deps.artifacts, registry: deps.registry, onProgress: progress });
      return {
        result: evaluation,
        params: { blessed: evaluation.blessed, reasons: evaluation.reasons, champion: evaluation.champion, gates: input.spec.gates },
        inputs: [
          { uri: input.candidate.uri, sha256: input.candidate.sha256, type: 'Model' },
          { uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' },
        ],
      };
    });
  };
}
