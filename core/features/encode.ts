// Encoders: fit an EncodingPlan on the training rows, then turn raw feature columns (a batch) or one online
// request (a row) into the float64 model matrix the linear trainers and the ONNX graph agree on.
//
// Float32 on purpose: the exported ONNX graph (core/onnx/linear.ts) receives numeric inputs as float32 and
// imputes/centres/scales in float32. So a standardized value here is computed exactly as the graph does:
//   x' = f32(x), non-finite → f32(impute);  z = f32(f32(x' − f32(mean)) / f32(scale))
// Each step in float64 followed by Math.fround equals the correctly rounded float32 operation (53 ≥ 2·24 + 2),
// so the matrix holds bit-for-bit the values the graph feeds its linear model. One-hot values are exact 0/1.
//
// Missing values: NaN/±Infinity (and finite float64 values beyond float32 range) for numeric columns;
// null and the empty string for categorical ones (the graph receives missing categories as "").
// Passthrough (for tree models) keeps numeric values as f32(x) and missing ones as NaN, for the trees to route.
// Category (for tree models) gives a categorical value its code: its index among the kept training categories,
// the "other" code for rare and unseen values, NaN when missing; the trees split on sets of codes.
import type { ColumnEncoding, EncodingPlan, Matrix, RowSource } from '../ml/model';

export type FeatureColumn =
  { name: string; kind: 'numeric'; values: Float64Array /* NaN = missing */ } | { name: string; kind: 'categorical'; values: (string | null)[] };

/** `order`: ordinal codes follow it (first = 0) instead of alphabetical order; other values count as unknown. */
export type EncodingChoice = { encoding: 'standardize' | 'onehot' | 'ordinal' | 'passthrough' | 'category'; topK?: number; order?: string[] };

export const DEFAULT_TOP_K = 20;
/** Category encoding: values with fewer training rows share the "other" code. */
export const CATEGORY_MIN_ROWS = 10;
/** Category encoding: the most codes kept, so that with "other" and missing a column fits 256 byte bins. */
export const MAX_CATEGORY_CODES = 254;

/** The smallest normal float32: a scale below it would overflow the graph's float32 division. */
const MIN_FLOAT32_SCALE = 1.1754943508222875e-38;

/**
 * Fits the plan on `rowsIdx` (the training split; all rows when omitted). The plan follows the order of
 * `columns`; columns without a choice are not features (target, ids, …) and are left out.
 */
export function fitEncodingPlan(columns: FeatureColumn[], choices: Record<string, EncodingChoice>, rowsIdx?: Int32Array): EncodingPlan {
  const byName = indexColumns(columns);
  for (const name of Object.keys(choices)) {
    if (!byName.has(name)) {
      throw new Error(`encoding choice for column "${name}": no such column (have: ${[...byName.keys()].join(', ')})`);
    }
  }
  const rows = checkRows(rowsIdx, columnLength(columns));
  if (rows.length === 0) throw new Error('fitEncodingPlan: no training rows to fit the encoders on');
  const plan: ColumnEncoding[] = [];
  for (const column of columns) {
    const choice = choices[column.name];
    if (choice === undefined) continue;
    plan.push(fitColumn(column, choice, rows));
  }
  return { columns: plan, width: plan.reduce((w, c) => w + encodingWidth(c), 0) };
}

/** Model-matrix columns one encoding produces. */
export function encodingWidth(c: ColumnEncoding): number {
  return c.kind === 'onehot' ? c.categories.length + (c.other ? 1 : 0) : 1;
}

/** Encodes `rowsIdx` (all rows when omitted) into a row-major rows × plan.width matrix. */
export function encode(plan: EncodingPlan, columns: FeatureColumn[], rowsIdx?: Int32Array): Matrix {
  const write = encoderOf(plan, columns);
  const rows = checkRows(rowsIdx, columnLength(columns));
  const values = new Float64Array(rows.length * plan.width);
  write(rows, values);
  return { rows: rows.length, cols: plan.width, values };
}

/**
 * The rows `rowsIdx` (all rows when omitted) encoded on demand, a block at a time: what encode() gives, without
 * the rows × width float64 matrix (at 10M rows and 20 columns, 1.6 GB). A tree model bins its training rows
 * from it block by block.
 */
export function encodedRows(plan: EncodingPlan, columns: FeatureColumn[], rowsIdx?: Int32Array): RowSource {
  const write = encoderOf(plan, columns);
  const rows = checkRows(rowsIdx, columnLength(columns));
  const width = plan.width;
  let buffer = new Float64Array(0);
  return {
    rows: rows.length,
    cols: width,
    block(r0, r1) {
      const size = (r1 - r0) * width;
      if (buffer.length < size) buffer = new Float64Array(size);
      const out = buffer.subarray(0, size);
      out.fill(0); // one-hot columns write only their hot cell
      write(rows.subarray(r0, r1), out);
      return out;
    },
    gather(positions) {
      const out = new Float64Array(positions.length * width);
      write(
        Int32Array.from(positions, (p) => rows[p]!),
        out,
      );
      return out;
    },
  };
}

/** Writes the encoded rows `dataRows` of `columns`, row-major, into `out` (zeroed, dataRows.length × plan.width). */
function encoderOf(plan: EncodingPlan, columns: FeatureColumn[]): (dataRows: Int32Array, out: Float64Array) => void {
  checkPlanWidth(plan);
  const byName = indexColumns(columns);
  const inputs = plan.columns.map((enc) => {
    const column = byName.get(enc.input);
    if (column === undefined) throw new Error(`encode: column "${enc.input}" required by the encoding plan is missing`);
    if ((enc.kind === 'numeric' || enc.kind === 'passthrough') !== (column.kind === 'numeric')) throw kindError(enc, column);
    return column;
  });
  const width = plan.width;
  return (rows, values) => {
    let offset = 0;
    plan.columns.forEach((enc, c) => {
      const column = inputs[c]!;
      if (enc.kind === 'numeric') {
        const v = column.values as Float64Array;
        for (let i = 0; i < rows.length; i++) values[i * width + offset] = standardizeNumeric(enc, v[rows[i] ?? 0] ?? NaN);
      } else if (enc.kind === 'passthrough') {
        const v = column.values as Float64Array;
        for (let i = 0; i < rows.length; i++) values[i * width + offset] = passthrough32(v[rows[i] ?? 0] ?? NaN);
      } else {
        const v = column.values as (string | null)[];
        const index = categoryIndex(enc.categories);
        for (let i = 0; i < rows.length; i++) {
          writeCategory(enc, index, missingToNull(v[rows[i] ?? 0] ?? null), values, i * width + offset);
        }
      }
      offset += encodingWidth(enc);
    });
  };
}

/**
 * Encodes one online request. Numeric features may arrive as numbers or numeric strings; categorical ones as
 * strings (numbers and booleans are turned into their string form); null/undefined/absent mean missing.
 */
export function encodeRow(plan: EncodingPlan, row: Record<string, unknown>): Float64Array {
  checkPlanWidth(plan);
  const out = new Float64Array(plan.width);
  let offset = 0;
  for (const enc of plan.columns) {
    const raw = row[enc.input];
    if (enc.kind === 'numeric') out[offset] = standardizeNumeric(enc, parseNumericValue(enc.input, raw));
    else if (enc.kind === 'passthrough') out[offset] = passthrough32(parseNumericValue(enc.input, raw));
    else writeCategory(enc, categoryIndex(enc.categories), parseCategoricalValue(enc.input, raw), out, offset);
    offset += encodingWidth(enc);
  }
  return out;
}

/** A request value for a numeric feature → number (NaN = missing). Throws on values that are not numbers. */
export function parseNumericValue(column: string, raw: unknown): number {
  if (raw === null || raw === undefined) return NaN;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === '') return NaN;
    const x = Number(s);
    if (Number.isNaN(x) && s !== 'NaN') {
      throw new Error(`column "${column}": "${raw}" is not a number; send a number, a numeric string or null`);
    }
    return x;
  }
  throw new Error(`column "${column}": expected a number, a numeric string or null, got ${typeof raw}`);
}

/** A request value for a categorical feature → string, or null when missing (null, undefined or ""). */
export function parseCategoricalValue(column: string, raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return missingToNull(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new Error(`column "${column}": expected a string, number, boolean or null, got ${typeof raw}`);
}

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- fitting -------------------------------------------------------------------------------------------

function fitColumn(column: FeatureColumn, choice: EncodingChoice, rows: Int32Array): ColumnEncoding {
  const name = column.name;
  const { encoding, topK, order } = choice;
  if (topK !== undefined && encoding !== 'onehot') {
    throw new Error(`column "${name}": topK only applies to the onehot encoding, not ${encoding}`);
  }
  if (order !== undefined && encoding !== 'ordinal') throw new Error(`column "${name}": an order only applies to the ordinal encoding, not ${encoding}`);
  if (encoding === 'passthrough') {
    if (column.kind !== 'numeric') {
      throw new Error(`column "${name}" is categorical: passthrough needs a numeric column; use onehot or ordinal`);
    }
    if (!rows.some((r) => Number.isFinite(Math.fround(column.values[r] ?? NaN)))) throw noValuesError(name, rows.length);
    return { kind: 'passthrough', input: name };
  }
  if (encoding === 'standardize') {
    if (column.kind !== 'numeric') {
      throw new Error(`column "${name}" is categorical: standardize needs a numeric column; use onehot or ordinal`);
    }
    const finite: number[] = [];
    for (const r of rows) {
      const x = column.values[r] ?? NaN;
      if (Number.isFinite(Math.fround(x))) finite.push(x);
    }
    if (finite.length === 0) throw noValuesError(name, rows.length);
    const { mean, scale } = meanAndScale(finite);
    return { kind: 'numeric', input: name, impute: mean, mean, scale };
  }
  if (column.kind !== 'categorical') {
    throw new Error(`column "${name}" is numeric: ${encoding} needs a categorical column; use standardize or passthrough`);
  }
  const counts = new Map<string, number>();
  let present = 0;
  for (const r of rows) {
    const v = missingToNull(column.values[r] ?? null);
    if (v === null) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    present++;
  }
  if (present === 0) throw noValuesError(name, rows.length);
  if (encoding === 'category') {
    const kept = [...counts.entries()]
      .filter(([, n]) => n >= CATEGORY_MIN_ROWS)
      .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
      .slice(0, MAX_CATEGORY_CODES)
      .map(([value]) => value)
      .sort(compareStrings);
    return { kind: 'category', input: name, categories: kept };
  }
  if (encoding === 'onehot') {
    const k = topK ?? DEFAULT_TOP_K;
    if (!Number.isInteger(k) || k < 1) throw new Error(`column "${name}": topK must be a positive integer, got ${k}`);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
      .slice(0, k)
      .map(([value]) => value)
      .sort(compareStrings);
    return { kind: 'onehot', input: name, categories: top, other: true };
  }
  // Ordinal statistics over the training rows' category indices, weighted by count (no per-row array). With
  // a user order, values it does not list are unknown (imputed with the mean), in training as in serving.
  const categories = order ? [...order] : [...counts.keys()].sort(compareStrings);
  let sum = 0;
  let listed = 0;
  categories.forEach((c, i) => {
    sum += i * (counts.get(c) ?? 0);
    listed += counts.get(c) ?? 0;
  });
  if (listed === 0)
    throw new Error(
      `column "${name}": none of the ${present} training values is in the ordinal order ${JSON.stringify(order)}; check the spelling of the categories`,
    );
  const mean = sum / listed;
  let ss = 0;
  categories.forEach((c, i) => (ss += (counts.get(c) ?? 0) * (i - mean) * (i - mean)));
  return { kind: 'ordinal', input: name, categories, impute: mean, mean, scale: scaleFromStd(Math.sqrt(ss / listed)) };
}

/** Mean and population std of the present training values. */
function meanAndScale(xs: number[]): { mean: number; scale: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, scale: scaleFromStd(Math.sqrt(ss / xs.length)) };
}

/** Scale 1 when the std is 0, not finite, or below float32's normal range (the graph divides in float32). */
function scaleFromStd(std: number): number {
  const std32 = Math.fround(std);
  return Number.isFinite(std32) && std32 >= MIN_FLOAT32_SCALE ? std : 1;
}

// ---- encoding ------------------------------------------------------------------------------------------

function standardizeNumeric(enc: Extract<ColumnEncoding, { kind: 'numeric' }>, raw: number): number {
  let x = Math.fround(raw);
  if (!Number.isFinite(x)) x = Math.fround(enc.impute);
  return standardize32(x, enc.mean, enc.scale);
}

/** f32(x), or NaN when that is not finite: the graph's Where(IsInf(x), NaN, x) on its float32 input. */
function passthrough32(raw: number): number {
  const x = Math.fround(raw);
  return Number.isFinite(x) ? x : NaN;
}

/** (x − mean) / scale as the graph computes it: float32 Sub then float32 Div. */
function standardize32(x: number, mean: number, scale: number): number {
  return Math.fround(Math.fround(x - Math.fround(mean)) / Math.fround(scale));
}

function writeCategory(
  enc: Extract<ColumnEncoding, { kind: 'onehot' | 'ordinal' | 'category' }>,
  index: Map<string, number>,
  value: string | null,
  out: Float64Array,
  at: number,
): void {
  const i = value === null ? undefined : index.get(value);
  if (enc.kind === 'category') {
    out[at] = value === null ? NaN : (i ?? enc.categories.length);
    return;
  }
  if (enc.kind === 'ordinal') {
    out[at] = standardize32(i === undefined ? Math.fround(enc.impute) : i, enc.mean, enc.scale);
    return;
  }
  // The one-hot block starts zeroed (fresh Float64Array); set the one column that is hot, if any.
  if (i !== undefined) out[at + i] = 1;
  else if (enc.other) out[at + enc.categories.length] = 1;
}

// Plans are fitted once and read many times (one encodeRow per request): index each category list once.
const indexCache = new WeakMap<string[], Map<string, number>>();

function categoryIndex(categories: string[]): Map<string, number> {
  let index = indexCache.get(categories);
  if (index === undefined) {
    index = new Map(categories.map((c, i) => [c, i]));
    indexCache.set(categories, index);
  }
  return index;
}

// ---- validation ----------------------------------------------------------------------------------------

function missingToNull(v: string | null): string | null {
  return v === null || v === '' ? null : v;
}

function indexColumns(columns: FeatureColumn[]): Map<string, FeatureColumn> {
  const byName = new Map<string, FeatureColumn>();
  for (const c of columns) {
    if (byName.has(c.name)) throw new Error(`feature column "${c.name}" appears twice; column names must be unique`);
    byName.set(c.name, c);
  }
  return byName;
}

function columnLength(columns: FeatureColumn[]): number {
  const first = columns[0];
  if (first === undefined) return 0;
  for (const c of columns) {
    if (c.values.length !== first.values.length) {
      throw new Error(`feature column "${c.name}" has ${c.values.length} rows but "${first.name}" has ${first.values.length}; columns must be the same length`);
    }
  }
  return first.values.length;
}

function checkRows(rowsIdx: Int32Array | undefined, length: number): Int32Array {
  if (rowsIdx === undefined) return Int32Array.from({ length }, (_, i) => i);
  for (let i = 0; i < rowsIdx.length; i++) {
    const r = rowsIdx[i] ?? -1;
    if (r < 0 || r >= length) throw new Error(`row index ${r} at position ${i} is outside the ${length} rows of the feature columns`);
  }
  return rowsIdx;
}

function checkPlanWidth(plan: EncodingPlan): void {
  const width = plan.columns.reduce((w, c) => w + encodingWidth(c), 0);
  if (width !== plan.width) throw new Error(`encoding plan says width ${plan.width} but its columns add up to ${width}`);
}

function kindError(enc: ColumnEncoding, column: FeatureColumn): Error {
  return new Error(`column "${column.name}" is ${column.kind} but the encoding plan encodes it as ${enc.kind}`);
}

function noValuesError(name: string, rows: number): Error {
  return new Error(`column "${name}" has no non-missing values in the ${rows} training rows; drop it from the features`);
}
