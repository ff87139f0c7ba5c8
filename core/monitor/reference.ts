// The training reference of a model version: an even sample of the training rows' feature values, stored
// with the version, against which logged production traffic is compared.
import type { DataColumn } from '../data/columns';
import { strideSample } from '../features/select';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';

export interface ReferenceSample {
  rows: number;
  columns: ({ name: string; kind: 'numeric'; values: (number | null)[] } | { name: string; kind: 'categorical'; values: (string | null)[] })[];
}

export const REFERENCE_ROWS = 5_000;

export function referenceSample(features: DataColumn[], trainRows: Int32Array, max = REFERENCE_ROWS): ReferenceSample {
  const pick = strideSample(trainRows.length, max);
  return {
    rows: pick.length,
    columns: features.map((c) =>
      c.kind === 'numeric'
        ? {
            name: c.name,
            kind: 'numeric' as const,
            values: Array.from(pick, (k) => {
              const v = c.values[trainRows[k]!]!;
              return Number.isFinite(v) ? v : null;
            }),
          }
        : { name: c.name, kind: 'categorical' as const, values: Array.from(pick, (k) => c.values[trainRows[k]!] ?? null) },
    ),
  };
}

export function storeReference(artifacts: ArtifactStore, sample: ReferenceSample): Promise<ArtifactRef> {
  return artifacts.putContent('references', '.json', JSON.stringify(sample), 'application/json');
}
