// The validate stage as an activity: core/data/validate plus heartbeats and lineage. The stage's execution
// is recorded as complete either way (it ran; the data failed); then, unless the caller asks for the result
// regardless, error-level anomalies fail it with a non-retryable ValidationFailed naming each of them.
import type { DatasetRef } from '../core/data/ingest';
import { ApplicationFailure } from '@temporalio/activity';
import { anomalyMessage, type ValidationRules } from '../core/data/anomalies';
import { validateDataset, type ValidationResult } from '../core/data/validate';
import { isPartitioned } from '../core/data/partitioned-dataset';
import { validatePartitionedDataset } from '../core/data/validate-partitioned';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type { SchemaStore } from '../core/store/schemas';
import { runStage } from './stage';

export interface ValidateActivityInput {
  model: string;
  dataset: DatasetRef;
  rules: ValidationRules;
  /** Throw a non-retryable ValidationFailed when an error-level anomaly is found (default true). */
  failOnError?: boolean;
}

export function makeValidate(deps: { artifacts: ArtifactStore; lineage: LineageStore; schemas: SchemaStore }) {
  return async function validateData(input: ValidateActivityInput): Promise<ValidationResult> {
    const result = await runStage(deps.lineage, 'validate', input.model, async (progress) => {
      const validate = isPartitioned(input.dataset) ? validatePartitionedDataset : validateDataset;
      const result = await validate(input, { artifacts: deps.artifacts, schemas: deps.schemas, onProgress: progress });
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
    if (!result.passed && input.failOnError !== false) {
      throw ApplicationFailure.create({
        type: 'ValidationFailed',
        message: `validation of ${input.dataset.sourceUri} failed:\n${anomalyMessage(result.anomalies)}`,
        nonRetryable: true,
        details: [result],
      });
    }
    return result;
  };
}
