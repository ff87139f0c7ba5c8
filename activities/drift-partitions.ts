// Drift over partitioned data as activities: one summary per partition (lineage per partition, like ingest's),
// and the merge that runs the drift tests on the merged summaries and stores the report.
import type { Client } from 'minio';
import type { DriftOptions } from '../core/stats/drift';
import { mergedDrift, summarizeDriftPartition as summarizeOne, type DriftPartition, type DriftPartitionSummary } from '../core/stats/drift-partitions';
import type { MergedDrift } from '../core/stats/merged-drift';
import { renderDriftHtml } from '../core/stats/report-html';
import { storeDriftReport } from '../core/stats/report-store';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export interface SummarizeDriftPartitionInput {
  partition: DriftPartition;
  delimiter?: string;
}

export interface MergeDriftInput {
  referenceUri: string;
  currentUri: string;
  partitions: DriftPartitionSummary[];
  options: DriftOptions & { columns?: string[] };
}

export interface PartitionedDriftResult extends MergedDrift {
  rows: { reference: number; current: number };
  partitions: { reference: number; current: number };
  report: MergedDrift['report'];
  stored: { json: string; html: string };
}

export function makeDriftPartitions(deps: { artifacts: ArtifactStore; lineage: LineageStore; s3: Client }) {
  return {
    async summarizeDriftPartition(input: SummarizeDriftPartitionInput): Promise<DriftPartitionSummary> {
      const p = input.partition;
      return runStage(
        deps.lineage,
        'drift-partition',
        '',
        async (progress) => {
          const r = await summarizeOne(p, { delimiter: input.delimiter }, { artifacts: deps.artifacts, s3: deps.s3, onProgress: progress });
          return {
            result: r,
            params: { side: p.side, index: p.source.index, source: p.source.uri, range: p.source.rows ?? null },
            outputs: [
              { uri: r.summary.uri, sha256: r.summary.sha256, type: 'PartitionSummary', properties: { side: p.side, index: p.source.index, rows: r.rows } },
            ],
          };
        },
        { part: String(p.index) },
      );
    },

    async mergeDrift(input: MergeDriftInput): Promise<PartitionedDriftResult> {
      return runStage(deps.lineage, 'drift', '', async (progress) => {
        const merged = await mergedDrift(input.partitions, input.options, deps.artifacts);
        const html = renderDriftHtml(merged.report, [], {
          title: 'Data drift (merged partition summaries)',
          reference: input.referenceUri,
          current: input.currentUri,
          createdAt: new Date().toISOString(),
        });
        const refs = await storeDriftReport(deps.artifacts, merged.report, html);
        const count = (side: string): number => input.partitions.filter((p) => p.side === side).length;
        progress(`${merged.report.columns.filter((c) => c.drifted).length} of ${merged.report.columns.length} columns drifted`);
        return {
          result: { ...merged, partitions: { reference: count('reference'), current: count('current') }, stored: { json: refs.json.uri, html: refs.html.uri } },
          params: { reference: input.referenceUri, current: input.currentUri, partitions: input.partitions.length },
          inputs: input.partitions.map((p) => ({ uri: p.summary.uri, sha256: p.summary.sha256, type: 'PartitionSummary', properties: { side: p.side } })),
          outputs: [{ uri: refs.json.uri, sha256: refs.json.sha256, type: 'DriftReport' }],
        };
      });
    },
  };
}
