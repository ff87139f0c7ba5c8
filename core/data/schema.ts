// A dataset schema in TFDV's sense: per column its kind, nullability, range and categorical domain,
// inferred from the first version of a model's data and checked against every later version.
import type { ColumnKind, DatasetStatistics } from './statistics';

export interface SchemaColumn {
  name: string;
  kind: ColumnKind;
  type: string;
  nullable: boolean;
  min?: number | string | null;
  max?: number | string | null;
  /** All values of a low-cardinality string/boolean column. */
  domain?: string[];
}

export interface DatasetSchema {
  columns: SchemaColumn[];
}

/** Columns with at most this many distinct values get a categorical domain. */
export const MAX_DOMAIN_SIZE = 100;

export function inferSchema(stats: DatasetStatistics, domains: Record<string, string[] | undefined>): DatasetSchema {
  return {
    columns: stats.columns.map((c) => {
      const col: SchemaColumn = { name: c.name, kind: c.kind, type: c.type, nullable: c.missing > 0 };
      if (c.kind === 'numeric' || c.kind === 'date' || c.kind === 'timestamp') {
        col.min = c.min ?? null;
        col.max = c.max ?? null;
      }
      const domain = domains[c.name];
      if (domain) col.domain = domain;
      return col;
    }),
  };
}

/** Kinds that may replace each other between versions without a type_mismatch (e.g. BIGINT → DOUBLE). */
export function compatibleKinds(expected: ColumnKind, observed: ColumnKind): boolean {
  return expected === observed || (expected === 'timestamp' && observed === 'date') || (expected === 'date' && observed === 'timestamp');
}
