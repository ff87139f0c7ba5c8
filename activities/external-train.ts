// The train stage when the user's own trainer fits the model (training.external): the activities on this side
// of its `train` activity. One writes the splits it trains on; the other fetches its ONNX, checks the contract,
// measures the model on the held-out test split and registers it. A model that breaks the contract is refused
// for good (InvalidModel): retrying would fetch the same bytes.
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from 'minio';
import { ExternalModelError, parseTrainResult } from '../core/ml/external';
import { prepareExternal, registerExternal, type ExternalPlan, type ExternalStageInput } from '../core/ml/external-train';
import type { TrainedModel } from '../core/ml/train';
import { parseS3Uri } from '../core/store/artifacts';
import type { Stores } from '../core/store';
import type { ArtifactInput } from '../core/store/lineage';
import { runKey, runStage } from './stage';
import { trainedModelOutcome, trainingInputs } from './trained-model';

export const INVALID_MODEL_TYPE = 'InvalidModel';

export interface RegisterExternalInput extends ExternalStageInput {
  external: ExternalPlan;
  /** The trainer's result as it came back (checked here). */
  result: unknown;
  taskQueue: string;
}

async function readObject(s3: Client, uri: string): Promise<Uint8Array> {
  const { bucket, key } = parseS3Uri(uri);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await s3.getObject(bucket, key);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NoSuchKey' || code === 'NotFound') throw new ExternalModelError(`the trainer finished but wrote no model at ${uri}`);
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** The train and validation splits written for the trainer. */
function splitArtifacts({ splits }: ExternalPlan): ArtifactInput[] {
  return (['train', 'validation'] as const).map((split) => ({ uri: splits[split].uri, sha256: splits[split].sha256, type: 'Dataset', properties: { split } }));
}

export function makeExternalTrain(deps: { stores: Stores; s3Endpoint: string }) {
  const { artifacts, lineage, registry, s3 } = deps.stores;
  return {
    async prepareExternalTraining(input: ExternalStageInput): Promise<ExternalPlan> {
      return runStage(lineage, 'train-data', input.model, async (progress) => {
        const plan = await prepareExternal({ ...input, runKey: runKey() }, { artifacts, s3: { endpoint: deps.s3Endpoint }, onProgress: progress });
        return {
          result: plan,
          params: { taskQueue: input.spec.training.external?.taskQueue, trainerInput: plan.input },
          inputs: trainingInputs(input),
          outputs: splitArtifacts(plan),
        };
      });
    },

    async registerExternalModel(input: RegisterExternalInput): Promise<TrainedModel> {
      try {
        return await runStage(lineage, 'train', input.model, async (progress) => {
          const result = parseTrainResult(input.result, input.external.input.output.uri);
          const onnx = await readObject(s3, result.uri);
          const model = await registerExternal(
            { ...input, runKey: runKey() },
            { plan: input.external, result, onnx, trainer: { taskQueue: input.taskQueue } },
            { artifacts, registry, onProgress: progress },
          );
          return trainedModelOutcome(input, model, {
            params: {
              trainer: { taskQueue: input.taskQueue, framework: result.framework, codeVersion: result.codeVersion ?? null, identity: result.identity ?? null },
            },
            inputs: splitArtifacts(input.external),
            modelProperties: { trainer: result.framework },
          });
        });
      } catch (err) {
        if (err instanceof ExternalModelError) throw ApplicationFailure.create({ type: INVALID_MODEL_TYPE, message: err.message, nonRetryable: true });
        throw err;
      }
    },
  };
}
