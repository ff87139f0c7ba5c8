// Garbage collection of artifacts: an object is deleted only when no lineage row references it (registered
// versions reference theirs through lineage) AND it is older than a grace period, which covers a running
// pipeline between writing an object and recording it.
import type { ArtifactStore } from './artifacts';
import type { LineageStore } from './lineage';

export const DEFAULT_GRACE_MS = 24 * 3600 * 1000;

export interface GcReport {
  scanned: number;
  kept: number;
  /** Unreferenced but younger than the grace period. */
  young: number;
  deleted: { key: string; size: number }[];
  dryRun: boolean;
}

export async function collectGarbage(
  artifacts: ArtifactStore,
  lineage: LineageStore,
  opts: { graceMs?: number; dryRun?: boolean; now?: Date } = {},
): Promise<GcReport> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const now = (opts.now ?? new Date()).getTime();
  // Referenced URIs are read after listing, so an object recorded in between is seen as referenced.
  const objects = await artifacts.list();
  const referenced = await lineage.referencedUris();
  const report: GcReport = { scanned: objects.length, kept: 0, young: 0, deleted: [], dryRun: opts.dryRun ?? false };
  for (const o of objects) {
    if (referenced.has(artifacts.uri(o.key))) report.kept++;
    else if (now - o.lastModified.getTime() < graceMs) report.young++;
    else {
      if (!report.dryRun) await artifacts.remove(o.key);
      report.deleted.push({ key: o.key, size: o.size });
    }
  }
  return report;
}
