// Feedback rows of a partitioned dataset: one more partition after the source partitions, as a single-file
// ingest appends them after the source rows. Stored and summarized like any partition (content-addressed, the
// same rows giving the same bytes), so the dataset's manifest, and its sha256, depend only on the source
// partitions and the feedback rows.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashFile, type ArtifactRef, type ArtifactStore } from '../store/artifacts';
import { ident, literal, withDuckDB } from './duckdb';
import { feedbackDriftFromSummaries, type FeedbackDrift } from './feedback-drift';
import { feedbackCap, insertFeedback } from './feedback-rows';
import type { ColumnType, FeedbackRows, Progress } from './ingest';
import { storePartition } from './partition-ingest';
import type { PartitionResult } from './partitioned-dataset';
import { mergeSummaries } from './partition-statistics';
import { readSummary, summarizePartition, type PartitionSummary } from './partition-summary';
import type { DatasetSchema } from './schema';

export interface FeedbackPartition {
  /** Null: no feedback row to add (none labelled, none under the share cap, or no target column). */
  partition: PartitionResult | null;
  added: number;
  /** Rows left out by data.maxFeedbackShare. */
  capped: number;
  /** How the feedback rows differ from the source partitions' rows (target and protected columns left out). */
  drift?: FeedbackDrift | null;
}

/** The feedback rows that fit next to `sourceRows` as partition `index`, with the source partitions' columns. */
export async function feedbackPartition(
  at: { index: number; sourceUri: string; columns: ColumnType[]; sourceRows: number; sourceSummaries: ArtifactRef[] },
  feedback: FeedbackRows,
  opts: { schema?: { sha256: string; schema: DatasetSchema } },
  deps: { artifacts: ArtifactStore; onProgress?: Progress },
): Promise<FeedbackPartition> {
  const progress = deps.onProgress ?? (() => undefined);
  // Without the target column there is nothing to label; validation names the missing target.
  if (feedback.rows.length === 0 || !at.columns.some((c) => c.name === feedback.target)) return { partition: null, added: 0, capped: 0 };
  const rows = feedback.rows.slice(0, feedbackCap(at.sourceRows, feedback));
  const capped = feedback.rows.length - rows.length;
  if (rows.length === 0) return { partition: null, added: 0, capped };
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-feedback-'));
  try {
    return await withDuckDB(async (conn) => {
      await conn.run(`CREATE TEMP TABLE feedback_rows (${at.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
      const logged = path.join(work, 'feedback.ndjson');
      await insertFeedback(conn, 'feedback_rows', at.columns, rows, feedback, logged);
      const parquet = path.join(work, 'feedback.parquet');
      await conn.run(`COPY feedback_rows TO ${literal(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
      const summarized = await summarizePartition(conn, `read_parquet(${literal(parquet)})`, at.columns, opts.schema);
      progress(
        `added ${rows.length} logged predictions with feedback labels as partition ${at.index}${capped ? ` (${capped} more left out by data.maxFeedbackShare ${feedback.maxShare})` : ''}`,
      );
      const partition = await storePartition(
        parquet,
        { index: at.index, columns: at.columns, sourceUri: at.sourceUri, sourceSha256: await hashFile(logged), range: null, format: 'parquet' },
        summarized,
        deps.artifacts,
      );
      const source: { name: string; summary: PartitionSummary }[] = [];
      for (const [i, ref] of at.sourceSummaries.entries()) {
        source.push({ name: `partition ${i}`, summary: await readSummary(deps.artifacts, deps.artifacts.keyOf(ref.uri), ref.sha256) });
      }
      const drift = feedbackDriftFromSummaries(mergeSummaries(source), summarized.summary, new Set([feedback.target, ...feedback.protected]));
      return { partition, added: rows.length, capped, drift };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
