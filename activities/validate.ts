// The validate stage as an activity: core/data/validate plus heartbeats and lineage. It returns the result
// whether or not the data passed; the workflow decides that a failed validation fails the run.
import type { DatasetRef } from '../core/data/ingest';
import type { ValidationRules } from '../core/data/anomalies';
import { validateDataset, type ValidationResult } from '../core/data/validate';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type { SchemaStore } from '../core/store/schemas';
import { runStage } from './stage';

export interface ValidateActivityInput {
  model: string;
  dataset: DatasetRef;
  rules: ValidationRules;
}

export function makeValidate(deps: { artifacts: ArtifactStore; lineage: LineageStore; schemas: SchemaStore }) {
  return async function validateData(input: ValidateActivityInput): Promise<ValidationResult> {
    return runStage(deps.lineage, 'validate', input.model, async (progress) => {
      const result = await validateDataset(input, { artifacts: deps.artifacts, schemas: deps.schemas, onProgress: progress });
      const outputs = [
        { uri: result.statistics.uri, sha256: result.statistics.sha256, type: 'Statistics' },
        { uri: result.observedSchema.uri, sha256: result.observedSchema.sha256, type: 'ObservedSchema' },
      ];
      const inputs = [{ uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' }];
      if (result.schema.version > 0) inputs.push({ uri: result.schema.uri, sha256: result.schema.sha256, type: 'Schema' });
      return {
        result,
        inputs,
        outputs,
        params: { rules: input.rules, passed: result.passed, errors: result.anomalies.filter((a) => a.severity === 'error').length },
      };
    });
  };
}
