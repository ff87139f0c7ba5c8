// Encodes feature columns into the linear models' design (core/ml/linear-design.ts): one-hot blocks as the
// index of their hot column, everything else as float32 columns. Each plan column goes through encode() a
// chunk of rows at a time, so the values are exactly encode()'s (and the ONNX graph's) without a dense
// rows × width copy ever existing.
import { CHUNK_ROWS, sharedFloat32, sharedInt32, type LinearDesign } from '../ml/linear-design';
import type { EncodingPlan } from '../ml/model';
import { encode, encodingWidth, type FeatureColumn } from './encode';

/** Encodes `rowsIdx` (all rows when omitted) with `plan` into a LinearDesign of width plan.width. */
export function encodeLinear(plan: EncodingPlan, columns: FeatureColumn[], rowsIdx?: Int32Array): LinearDesign {
  const total = columns[0]?.values.length ?? 0;
  const rows = rowsIdx ?? Int32Array.from({ length: total }, (_, i) => i);
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
    // One column and its own one-column plan at a time; encode() checks the kind and the row indices.
    const single = { columns: [enc], width };
    const only = [column];
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const part = rows.subarray(start, Math.min(rows.length, start + CHUNK_ROWS));
      const m = encode(single, only, part);
      if (enc.kind === 'onehot') {
        for (let i = 0; i < part.length; i++) {
          let h = -1;
          for (let j = 0; j < width; j++) {
            if (m.values[i * width + j] === 1) {
              h = offset + j;
              break;
            }
          }
          hot[(start + i) * nb + b] = h;
        }
      } else {
        for (let i = 0; i < part.length; i++) dense[(start + i) * nd + d] = m.values[i]!;
      }
    }
    if (enc.kind === 'onehot') b++;
    else d++;
    offset += width;
  }
  return { rows: rows.length, width: plan.width, denseCols: Int32Array.from(denseCols), dense, blocks: nb, blockStarts: Int32Array.from(blockStarts), hot };
}
