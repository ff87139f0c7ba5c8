// `mlops drift`: column-by-column drift between two datasets, as JSON or a table; optionally an HTML report.
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../core/config';
import { createS3Client } from '../core/store/s3';
import { openStores } from '../core/store';
import { compareDatasets } from '../core/stats/compare-datasets';
import { storeDriftReport } from '../core/stats/report-store';
import { DRIFT_METHODS, type DriftMethod } from '../core/stats/drift';
import type { Correction } from '../core/stats/corrections';
import { JENSEN_SHANNON_BASES, type JensenShannonBase } from '../core/stats/jensen-shannon';
import { UsageError } from './usage-error';
import { randomBytes } from 'node:crypto';
import type { PartitionedDriftResult } from '../activities/drift-partitions';
import type { DriftOptions, DriftReport } from '../core/stats/drift';
import { driftPartitions, planDriftSide, wholeFilePartition } from '../core/stats/drift-partitions';
import { driftCheckWorkflowId, workflows } from '../workflows/contracts';
import { withClient } from './pipeline-commands';

const CORRECTIONS = ['none', 'bonferroni', 'bh'];

export async function driftCommand(values: Record<string, unknown>): Promise<number> {
  const usage = 'mlops drift --reference URI --current URI [--method M] [--correction C] [--base e|2] [--html FILE] [--store] [--json]';
  const reference = values.reference as string | undefined;
  const current = values.current as string | undefined;
  if (!reference || !current) throw new UsageError(`--reference and --current are both required; usage: ${usage}`);
  const method = (values.method as string | undefined) ?? 'auto';
  if (!DRIFT_METHODS.includes(method as DriftMethod)) throw new UsageError(`--method ${JSON.stringify(method)} is not one of ${DRIFT_METHODS.join(', ')}`);
  const correction = (values.correction as string | undefined) ?? 'none';
  if (!CORRECTIONS.includes(correction)) throw new UsageError(`--correction ${JSON.stringify(correction)} is not one of ${CORRECTIONS.join(', ')}`);
  const base = (values.base as string | undefined) ?? 'e';
  if (!JENSEN_SHANNON_BASES.includes(base as JensenShannonBase))
    throw new UsageError(`--base ${JSON.stringify(base)} is not e or 2 (the Jensen–Shannon logarithm base)`);
  const partitionRows = values['partition-rows'] === undefined ? undefined : Number(values['partition-rows']);
  if (partitionRows !== undefined && !(Number.isInteger(partitionRows) && partitionRows > 0))
    throw new UsageError(`--partition-rows ${JSON.stringify(values['partition-rows'])} is not a whole number above 0`);
  const options = { method: method as DriftMethod, correction: correction as Correction, base: base as JensenShannonBase };
  const partitioned = await partitionedDrift(reference, current, options, partitionRows, values.html as string | undefined);
  if (partitioned) return printDrift(values, partitioned.report, partitioned.skipped, partitioned.stored, partitioned);
  const needsS3 = reference.startsWith('s3://') || current.startsWith('s3://');
  const { report, html, skipped } = await compareDatasets(reference, current, {
    method: method as DriftMethod,
    correction: correction as Correction,
    base: base as JensenShannonBase,
    ...(needsS3 ? { s3: createS3Client(loadConfig()) } : {}),
  });
  if (values.html) await writeFile(values.html as string, html);
  let stored: { json: string; html: string } | undefined;
  if (values.store) {
    const stores = openStores(loadConfig());
    try {
      const refs = await storeDriftReport(stores.artifacts, report, html);
      stored = { json: refs.json.uri, html: refs.html.uri };
    } finally {
      await stores.close();
    }
  }
  return printDrift(values, report, skipped, stored);
}

/**
 * When either side is partitioned (a directory, glob, s3:// prefix, dataset manifest, or a file above
 * --partition-rows, default 2M), the partitions are summarized on the workers (workflows/partitioned-drift.ts)
 * and the tests run on the merged summaries; otherwise undefined (the check runs here on the rows).
 */
async function partitionedDrift(
  reference: string,
  current: string,
  options: DriftOptions,
  partitionRows: number | undefined,
  htmlFile: string | undefined,
): Promise<PartitionedDriftResult | undefined> {
  const config = loadConfig();
  const stores = openStores(config);
  try {
    const deps = { s3: stores.s3, artifacts: stores.artifacts };
    const ref = await planDriftSide(reference, { partitionRows }, deps);
    const cur = await planDriftSide(current, { partitionRows }, deps);
    if (!ref && !cur) return undefined;
    const partitions = driftPartitions(ref ?? (await wholeFilePartition(reference, deps)), cur ?? (await wholeFilePartition(current, deps)));
    const result = await withClient(
      (client) =>
        client.workflow.execute(workflows.partitionedDrift, {
          taskQueue: config.taskQueue,
          workflowId: driftCheckWorkflowId(randomBytes(6).toString('hex')),
          args: [{ referenceUri: reference, currentUri: current, partitions, options }],
        }),
      config,
    );
    if (htmlFile) await writeFile(htmlFile, await stores.artifacts.getBuffer(stores.artifacts.keyOf(result.stored.html)));
    return result;
  } finally {
    await stores.close();
  }
}

function printDrift(
  values: Record<string, unknown>,
  report: DriftReport,
  skipped: { name: string; reason: string }[],
  stored: { json: string; html: string } | undefined,
  merged?: PartitionedDriftResult,
): number {
  if (values.json) {
    const { columns, driftedShare, datasetDrift } = report;
    console.log(
      JSON.stringify(
        {
          columns: columns.map((c) => ({
            name: c.name,
            type: c.type,
            method: c.method,
            statistic: c.statistic,
            pValue: c.pValue,
            adjustedPValue: c.adjustedPValue,
            threshold: c.threshold,
            drifted: c.drifted,
            reason: c.reason,
          })),
          driftedShare,
          base: report.base,
          datasetDrift,
          ...(skipped.length ? { skipped } : {}),
          ...(stored ? { report: stored } : {}),
          ...(merged ? { partitions: merged.partitions, rows: merged.rows, bounds: merged.bounds } : {}),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const w = Math.max(6, ...report.columns.map((c) => c.name.length));
  console.log(
    `${'column'.padEnd(w)}  ${'type'.padEnd(11)}  ${'method'.padEnd(13)}  ${'statistic'.padStart(10)}  ${'p-value'.padStart(10)}  threshold  drifted`,
  );
  const sorted = [...report.columns].sort((a, b) => Number(b.drifted) - Number(a.drifted));
  for (const c of sorted) {
    const p = c.adjustedPValue ?? c.pValue;
    console.log(
      `${c.name.padEnd(w)}  ${c.type.padEnd(11)}  ${c.method.padEnd(13)}  ${c.statistic.toPrecision(4).padStart(10)}  ${(p === null ? '-' : p.toExponential(2)).padStart(10)}  ${String(c.threshold).padStart(9)}  ${c.drifted ? 'YES' : 'no'}`,
    );
  }
  for (const s of skipped) console.log(`(skipped ${s.name}: ${s.reason})`);
  console.log(
    `\n${report.columns.filter((c) => c.drifted).length} of ${report.columns.length} columns drifted (${(report.driftedShare * 100).toFixed(0)}%): dataset drift ${report.datasetDrift ? 'YES' : 'no'}`,
  );
  if (merged)
    console.log(
      `merged from ${merged.partitions.reference} reference and ${merged.partitions.current} current partitions (${merged.rows.reference} and ${merged.rows.current} rows); ${merged.bounds.columns.length > 0 ? `KS D within ${merged.bounds.columns[0]!.ks.toFixed(4)} of a single pass` : 'no numeric column: every test on exact counts'}`,
    );
  if (values.html) console.log(`report: ${values.html as string}`);
  if (stored) console.log(`stored: ${stored.json} ${stored.html}`);
  return 0;
}
