// The ingest stage as an activity: core/data/ingest plus heartbeats and lineage.
import type { Client } from 'minio';
import { ingest, type DatasetRef, type IngestOptions } from '../core/data/ingest';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import type pg from 'pg';
import { labelledRows } from '../core/monitor/logged';
import { runStage } from './stage';

export interface IngestInput extends IngestOptions {
  model: string;
  /** Append the model's logged predictions that got feedback labels (spec data.feedback). */
  feedback?: { target: string; protected: string[] };
}

export function makeIngest(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client; pool: pg.Pool }) {
  return async function ingestDataset(input: IngestInput): Promise<DatasetRef> {
    return runStage(deps.lineage, 'ingest', input.model, async (progress) => {
      const feedback = input.feedback ? { ...input.feedback, rows: await labelledRows(deps.pool, input.model) } : undefined;
      const ref = await ingest(input, { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress, ...(feedback ? { feedback } : {}) });
      return {
        result: ref,
        params: { uri: input.uri, format: ref.format, delimiter: input.delimiter ?? null, feedbackRows: ref.feedbackRows ?? 0 },
        outputs: [{ uri: ref.uri, sha256: ref.sha256, type: 'Dataset', properties: { sourceUri: ref.sourceUri, sourceSha256: ref.sourceSha256, rows: ref.rows, columns: ref.columns } }],
      };
    });
  };
}
