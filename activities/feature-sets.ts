// The feature store's activities: incremental materialization (the pipeline's ingest stage for a spec with
// features.sets, and the materializeFeatures workflow a schedule starts), and the point-in-time training set
// a pipeline trains on, ingested as the run's dataset.
import type { Client } from 'minio';
import type pg from 'pg';
import { ingest, type DatasetRef, type IngestOptions } from '../core/data/ingest';
import { DataError } from '../core/data/source';
import { buildTrainingSet, FeatureSetError, materialize, type MaterializeResult, type TrainingSetResult } from '../core/featurestore';
import type { FeatureSetRef } from '../core/features/spec';
import { labelledRows } from '../core/monitor/logged';
import type { ArtifactRef, ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export interface MaterializeSetsInput {
  sets: { name: string; version?: number }[];
  /** The pipeline run's model, when a pipeline asks (links the stage run to the model). */
  model?: string;
}

export interface TrainingSetInput {
  model: string;
  /** The labelled events (the spec's data.uri). */
  events: IngestOptions;
  /** The events' entity-key and event-time columns (spec features.entity and time). */
  entity: string;
  time: string;
  /** Versions pinned (as materialized). */
  sets: (FeatureSetRef & { version: number })[];
  prefixed?: boolean;
  /** Append the model's logged predictions that got feedback labels (their features as served). */
  feedback?: { target: string; protected: string[]; maxShare?: number };
}

export interface TrainingSetOutput {
  /** The joined training set as the run's canonical dataset. */
  dataset: DatasetRef;
  trainingSet: ArtifactRef;
  sets: TrainingSetResult['sets'];
}

export function makeFeatureSets(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client; pool: pg.Pool }) {
  return {
    /** Brings each set version up to date: only source rows past its watermark are read and written. */
    async materializeFeatureSets(input: MaterializeSetsInput): Promise<MaterializeResult[]> {
      return runStage(deps.lineage, 'materialize', input?.model ?? '', async (progress) => {
        if (!Array.isArray(input?.sets) || input.sets.length === 0) {
          throw new FeatureSetError(
            'materializeFeatureSets takes { "sets": [{ "name": "customer_stats", "version": 2 }] } with at least one set (version optional: the latest)',
          );
        }
        const results: MaterializeResult[] = [];
        for (const set of input.sets) results.push(await materialize(deps, { name: set?.name, version: set?.version }, { onProgress: progress }));
        const parts = results.filter((r) => r.part).map((r) => ({ uri: r.part!.uri, sha256: r.part!.sha256, type: 'FeatureSetPart' }));
        return {
          result: results,
          params: { sets: results.map((r) => ({ name: r.name, version: r.version, rows: r.rows, watermark: r.watermark })) },
          outputs: parts,
        };
      });
    },

    /** Events → canonical Parquet; point-in-time join with the sets; the joined table (plus feedback rows) → the run's dataset. */
    async ingestTrainingSet(input: TrainingSetInput): Promise<TrainingSetOutput> {
      return runStage(deps.lineage, 'training-set', input.model, async (progress) => {
        // Content-addressed events, so the training set's lineage points at exactly the bytes it joined.
        const events = await ingest(input.events, { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress });
        const eventsArtifact = {
          uri: events.uri,
          sha256: events.sha256,
          type: 'Dataset',
          properties: { sourceUri: events.sourceUri, sourceSha256: events.sourceSha256, rows: events.rows, columns: events.columns },
        };
        const joined = await buildTrainingSet(
          deps,
          { events: events.uri, entity: input.entity, timestamp: input.time, sets: input.sets, prefixed: input.prefixed, format: 'parquet', eventsArtifact },
          { onProgress: progress },
        ).catch((err: unknown) => {
          // Name the events as the spec does, not by their canonical copy.
          if (err instanceof FeatureSetError || err instanceof DataError) err.message = err.message.replaceAll(events.uri, input.events.uri);
          throw err;
        });
        // Feedback rows carry the features as they were served (the online values at prediction time); the
        // prediction time stands in for the event time, which the time split needs.
        const feedback = input.feedback
          ? {
              ...input.feedback,
              rows: (await labelledRows(deps.pool, input.model)).map((r) => ({ features: { [input.time]: r.at.getTime(), ...r.features }, label: r.label })),
            }
          : undefined;
        const dataset = await ingest(
          { uri: joined.ref.uri, format: 'parquet' },
          { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress, ...(feedback ? { feedback } : {}) },
        );
        return {
          result: { dataset, trainingSet: joined.ref, sets: joined.sets },
          params: { events: input.events.uri, entity: input.entity, time: input.time, sets: joined.sets, feedbackRows: dataset.feedbackRows ?? 0 },
          inputs: [eventsArtifact, { uri: joined.ref.uri, sha256: joined.ref.sha256, type: 'TrainingSet' }],
          outputs: [
            {
              uri: dataset.uri,
              sha256: dataset.sha256,
              type: 'Dataset',
              properties: { sourceUri: dataset.sourceUri, sourceSha256: dataset.sourceSha256, rows: dataset.rows, columns: dataset.columns },
            },
          ],
        };
      });
    },
  };
}
