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
  const rows = checkedRows(columns, rowsIdx);
  const denseCols: number[] = [];
  const blockStarts: number[] = [];
  let offset = 0;
  for (const enc of plan.columns) {
    if (enc.kind === 'onehot') blockStarts.push(offset);
    else denseCols.push(offset);
    offset += encodingWidth(enc);
  }
  if (offset !== plan.width) throw new Error(`encoding plan says width ${plan.width} but its columns add up to ${offset}`);
  const design: LinearDesign = {
    rows: rows.length,
    width: plan.width,
    denseCols: Int32Array.from(denseCols),
    dense: sharedFloat32(rows.length * denseCols.length),
    blocks: blockStarts.length,
    blockStarts: Int32Array.from(blockStarts),
    hot: sharedInt32(rows.length * blockStarts.length),
  };
  encodeInto(design, plan, columns, rows, () => true);
  return design;
}

/**
 * `base` = encodeLinear(plan, baseColumns, rowsIdx) with the columns that differ from baseColumns (other
 * objects, as permutation importance passes) re-encoded into a copy: one column's work, not every column's.
 */
export function reencodeLinear(
  base: LinearDesign,
  baseColumns: FeatureColumn[],
  plan: EncodingPlan,
  columns: FeatureColumn[],
  rowsIdx?: Int32Array,
): LinearDesign {
  const rows = checkedRows(columns, rowsIdx);
  if (rows.length !== base.rows) throw new Error(`reencodeLinear: ${rows.length} rows but the base design has ${base.rows}`);
  const before = new Map(baseColumns.map((c) => [c.name, c]));
  const design: LinearDesign = { ...base, dense: sharedFloat32(base.dense.length), hot: sharedInt32(base.hot.length) };
  design.dense.set(base.dense);
  design.hot.set(base.hot);
  encodeInto(design, plan, columns, rows, (c) => before.get(c.name) !== c);
  return design;
}

function checkedRows(columns: FeatureColumn[], rowsIdx: Int32Array | undefined): Int32Array {
  const total = columns[0]?.values.length ?? 0;
  const rows = rowsIdx ?? Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < total)) throw new Error(`row index ${r} at position ${i} is outside the ${total} rows of the feature columns`);
  }
  return rows;
}

/** Encodes the plan columns whose input passes `wanted` into their slots of `design`. */
function encodeInto(design: LinearDesign, plan: EncodingPlan, columns: FeatureColumn[], rows: Int32Array, wanted: (c: FeatureColumn) => boolean): void {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const { dense, hot } = design;
  const nd = design.denseCols.length;
  const nb = design.blocks;
  let d = 0;
  let b = 0;
  let offset = 0;
  for (const enc of plan.columns) {
    const width = encodingWidth(enc);
    const column = byName.get(enc.input);
    if (column === undefined) throw new Error(`encode: column "${enc.input}" required by the encoding plan is missing`);
    const slot = enc.kind === 'onehot' ? b++ : d++;
    const at = offset;
    offset += width;
    if (!wanted(column)) continue;
    if (enc.kind === 'onehot') {
      if (column.kind !== 'categorical') throw new Error(`column "${column.name}" is ${column.kind} but the encoding plan encodes it as onehot`);
      const index = new Map(enc.categories.map((c, i) => [c, at + i]));
      const other = enc.other ? at + enc.categories.length : -1;
      const values = column.values;
      for (let i = 0; i < rows.length; i++) {
        const v = values[rows[i]!];
        const h = v === null || v === undefined || v === '' ? undefined : index.get(v);
        hot[i * nb + slot] = h === undefined ? other : h;
      }
    } else {
      // One column and its own one-column plan at a time; encode() checks the kind.
      const single = { columns: [enc], width };
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const part = rows.subarray(start, Math.min(rows.length, start + CHUNK_ROWS));
        const m = encode(single, [column], part);
        for (let i = 0; i < part.length; i++) dense[(start + i) * nd + slot] = m.values[i]!;
      }
    }
  }
}
