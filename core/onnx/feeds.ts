// Raw feature values → the per-input arrays an exported graph takes (each shaped [N, 1]): float32 for numeric
// inputs (NaN = missing), strings for categorical ones ("" = missing). Same parsing as core/features/encode.ts.
import { parseCategoricalValue, parseNumericValue, type FeatureColumn } from '../features/encode';
import type { OnnxInputSpec } from './signature';

export type OnnxFeeds = Record<string, Float32Array | string[]>;

type InputRef = Pick<OnnxInputSpec, 'name' | 'type'>;

/** Feeds for `rowsIdx` (all rows when omitted) of the given columns. */
export function feedsFromColumns(inputs: readonly InputRef[], columns: FeatureColumn[], rowsIdx?: Int32Array): OnnxFeeds {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const feeds: OnnxFeeds = {};
  for (const input of inputs) {
    const column = byName.get(input.name);
    if (column === undefined) throw new Error(`ONNX input "${input.name}": no feature column of that name`);
    const n = rowsIdx?.length ?? column.values.length;
    const row = (i: number): number => (rowsIdx === undefined ? i : (rowsIdx[i] ?? -1));
    if (input.type === 'float32') {
      if (column.kind !== 'numeric') throw new Error(`ONNX input "${input.name}" is float32 but the column is ${column.kind}`);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = column.values[row(i)] ?? NaN;
      feeds[input.name] = out;
    } else {
      if (column.kind !== 'categorical') throw new Error(`ONNX input "${input.name}" is string but the column is ${column.kind}`);
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = column.values[row(i)] ?? '';
      feeds[input.name] = out;
    }
  }
  return feeds;
}

/** Feeds for one online request (a batch of one row). */
export function feedsFromRow(inputs: readonly InputRef[], row: Record<string, unknown>): OnnxFeeds {
  const feeds: OnnxFeeds = {};
  for (const input of inputs) {
    const raw = row[input.name];
    feeds[input.name] = input.type === 'float32' ? Float32Array.of(parseNumericValue(input.name, raw)) : [parseCategoricalValue(input.name, raw) ?? ''];
  }
  return feeds;
}
