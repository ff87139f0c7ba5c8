// Encodes feature columns into the linear models' design (core/ml/linear-design.ts): one-hot blocks as the
// index of their hot column, everything else as float32 columns. Dense plan columns go through encode() a chunk
// of rows at a time, so their values are exactly encode()'s (and the ONNX graph's); one-hot columns are looked
// up directly (8× faster than scanning encode()'s block), by encode()'s rule: null and "" are missing, and
// missing or unlisted values go to the "other" column when there is one. A test holds the two to equality.
import { CHUNK_ROWS, sharedFloat32, sharedInt32, type LinearDesign } from '../ml/linear-design';
import type { EncodingPlan } from '../ml/model';
import { encode, encodingWidth, type FeatureColumn } from './encode';

/** Encodes `rowsIdx` (all rows when omitted) with `plan` into a LinearDesign of width plan.width. */
export function encodeLinear(plan: EncodingPlan, columns: FeatureColumn[], rowsIdx?: Int32Array): LinearDesign {
  const total = columns[0]?.values.length ?? 0;
  const rows = rowsIdx ?? Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < total)) throw new Error(`row index ${r} at position ${i} is outside the ${total} rows of the feature columns`);
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const denseCols: number[] = [];
  const blockStarts: number[] = [];
  let offset = 0;
  for (const enc of plan.columns) {
    if (enc.kind === 'onehot') blockStarts.push(offset);
    else denseCols.push(offset);
    offset += encodingWidth(enc);
  }
  if (offset !== plan.width) throw new Error(`encoding plan says width ${plan.width} but its columns add up to ${offset}`);
  const nd = denseCols.length;
  const nb = blockStarts.length;
  const dense = sharedFloat32(rows.length * nd);
  const hot = sharedInt32(rows.length * nb);
  let d = 0;
  let b = 0;
  offset = 0;
  for (const enc of plan.columns) {
    const width = encodingWidth(enc);
    const column = byName.get(enc.input);
    if (column === undefined) throw new Error(`encode: column "${enc.input}" required by the encoding plan is missing`);
    if (enc.kind === 'onehot') {
      if (column.kind !== 'categorical') throw new Error(`column "${column.name}" is ${column.kind} but the encoding plan encodes it as onehot`);
      const index = new Map(enc.categories.map((c, i) => [c, offset + i]));
      const other = enc.other ? offset + enc.categories.length : -1;
      const values = column.values;
      for (let i = 0; i < rows.length; i++) {
        const v = values[rows[i]!];
        const h = v === null || v === undefined || v === '' ? undefined : index.get(v);
        hot[i * nb + b] = h === undefined ? other : h;
      }
      b++;
    } else {
      // One column and its own one-column plan at a time; encode() checks the kind.
      const single = { columns: [enc], width };
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const part = rows.subarray(start, Math.min(rows.length, start + CHUNK_ROWS));
        const m = encode(single, [column], part);
        for (let i = 0; i < part.length; i++) dense[(start + i) * nd + d] = m.values[i]!;
      }
      d++;
    }
    offset += width;
  }
  return { rows: rows.length, width: plan.width, denseCols: Int32Array.from(denseCols), dense, blocks: nb, blockStarts: Int32Array.from(blockStarts), hot };
}
