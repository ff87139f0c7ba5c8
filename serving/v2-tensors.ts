// Open Inference Protocol tensors ↔ the rows and predictions of the shared predict path. One input tensor per
// raw column (BYTES for strings and dates, a number type for numbers; shape [n] or [n, 1]); outputs `label`
// and `probabilities` (class order in the tensor's parameters) for classifiers, `value` for regressors.
// Both the REST and the gRPC front end decode into InputTensor and encode from OutputTensor.
import { DATE_PARTS } from '../core/features/spec';
import type { ServedModel } from './model-host';
import { RequestError, MAX_INSTANCES, perModel } from '../core/predict/score';

export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16'] as const;
export type Datatype = (typeof DATATYPES)[number];
const KNOWN = new Set<string>(DATATYPES);
const INTEGERS = new Set<string>(['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64']);
/** What a numeric column takes (FP16/BF16 only travel as raw bytes, which nothing here decodes). */
const NUMBERS = new Set<string>([...INTEGERS, 'FP32', 'FP64', 'BOOL']);

/** A decoded input tensor: its values flat, in row-major order. */
export interface InputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: ArrayLike<unknown>;
}

export interface OutputTensor {
  name: string;
  datatype: 'BYTES' | 'FP32';
  shape: number[];
  parameters?: Record<string, string>;
  data: string[] | Float32Array;
}

/** Protocol parameters: string, number or boolean values. */
export type Parameters = Record<string, string | number | boolean>;

/** Raw columns a date derivation reads: they travel as BYTES (ISO dates). */
export const dateFields = perModel((model: ServedModel): Set<string> => {
  const dates = new Set<string>();
  for (const d of model.derive) if ('input' in d && ((DATE_PARTS as readonly string[]).includes(d.op) || d.op === 'holiday')) dates.add(d.input);
  return dates;
});

/** Fields a feature set provides: they may be absent, the entity key looks them up. */
const setFields = perModel((model: ServedModel) => new Set(model.featureSets.flatMap((s) => s.fields.map(([, f]) => f))));

/** The model's inputs as tensor metadata: one per raw column, any number of rows. */
export function inputMetadata(model: ServedModel): { name: string; datatype: Datatype; shape: number[] }[] {
  const dates = dateFields(model);
  return [...model.fields].map(([name, kind]) => ({ name, datatype: kind === 'categorical' || dates.has(name) ? 'BYTES' : 'FP64', shape: [-1] }));
}

export function outputMetadata(model: ServedModel): { name: string; datatype: Datatype; shape: number[] }[] {
  if (model.task === 'regression') return [{ name: 'value', datatype: 'FP32', shape: [-1] }];
  return [
    { name: 'label', datatype: 'BYTES', shape: [-1] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, model.classes.length] },
  ];
}

const bad = (message: string): RequestError => new RequestError(400, message);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 40);

/** Rows of one tensor: checks the datatype is known and the shape is [n] or [n, 1] holding the data. */
function rowsOf(t: InputTensor): number {
  if (!KNOWN.has(t.datatype)) throw bad(`input ${t.name}: unknown datatype ${show(t.datatype)} (one of ${DATATYPES.join(', ')})`);
  const s = t.shape;
  if (!Array.isArray(s) || (s.length !== 1 && s.length !== 2) || !s.every((d) => Number.isInteger(d) && d >= 0) || (s.length === 2 && s[1] !== 1)) {
    throw bad(`input ${t.name}: shape ${show(s)} must be [n] or [n, 1] (one value per row)`);
  }
  if (t.data.length !== s[0]) throw bad(`input ${t.name}: shape [${s.join(', ')}] holds ${s[0]} values, data has ${t.data.length}`);
  return s[0]!;
}

/** Checks every value against the tensor's datatype (null stands for a missing value). */
function checkValues(t: InputTensor): void {
  const want = t.datatype === 'BYTES' ? 'string' : t.datatype === 'BOOL' ? 'boolean' : 'number';
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (v === null) continue;
    if (typeof v !== want || (INTEGERS.has(t.datatype) && !Number.isInteger(v)))
      throw bad(`input ${t.name}: data[${i}] is ${show(v)}, not a ${t.datatype} value`);
  }
}

/** Decoded tensors → one raw row per index, checked against the model's columns; names every bad input. */
export function rowsFromTensors(model: ServedModel, inputs: InputTensor[]): Record<string, unknown>[] {
  if (inputs.length === 0) throw bad('"inputs" must be a non-empty list of tensors, one per raw column');
  const dates = dateFields(model);
  const seen = new Set<string>();
  let n = -1;
  let known = 0; // inputs that are columns of the model
  for (const t of inputs) {
    if (seen.has(t.name)) throw bad(`input ${t.name} is given twice`);
    const rows = rowsOf(t);
    if (n !== -1 && n !== rows) throw bad(`input ${t.name} has ${rows} rows, input ${inputs[0]!.name} has ${n}`);
    n = rows;
    seen.add(t.name);
    const kind = model.fields.get(t.name);
    if (kind !== undefined) known++;
    if (kind === 'categorical' && t.datatype !== 'BYTES') throw bad(`input ${t.name}: a string column takes BYTES, got ${t.datatype}`);
    if (kind === 'numeric' && !NUMBERS.has(t.datatype) && !(dates.has(t.name) && t.datatype === 'BYTES')) {
      throw bad(
        `input ${t.name}: a numeric column takes FP64, FP32, INT64 or BOOL${dates.has(t.name) ? ' (or BYTES for an ISO date)' : ''}, got ${t.datatype}`,
      );
    }
    checkValues(t);
  }
  // Fields a feature set provides may be absent: the entity key looks them up (checked after the lookup).
  if (known < model.fields.size) {
    const fromSets = setFields(model);
    const missing = [...model.fields.keys()].filter((f) => !seen.has(f) && !fromSets.has(f));
    if (missing.length > 0)
      throw bad(
        `input ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (model ${model.name} reads ${[...model.fields.keys()].join(', ')})`,
      );
  }
  if (n === 0) throw bad('the input tensors hold no rows');
  if (n > MAX_INSTANCES) throw new RequestError(413, `at most ${MAX_INSTANCES} rows per request`);
  const rows: Record<string, unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = {};
  for (const t of inputs) for (let i = 0; i < n; i++) rows[i]![t.name] = t.data[i];
  return rows;
}

/** The class order as the probabilities tensor's parameters give it (once per model, not per request). */
const classParameters = perModel((model: ServedModel) => ({ classes: JSON.stringify(model.classes) }));

/** The predictions as output tensors (all of them, or the requested ones, in that order). */
export function outputTensors(model: ServedModel, predictions: Record<string, unknown>[], requested?: string[]): OutputTensor[] {
  const n = predictions.length;
  const all: OutputTensor[] = [];
  if (model.task === 'regression') {
    all.push({ name: 'value', datatype: 'FP32', shape: [n], data: Float32Array.from(predictions, (p) => p.value as number) });
  } else {
    const k = model.classes.length;
    const proba = new Float32Array(n * k);
    const labels = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const byClass = predictions[i]!.probabilities as Record<string, number>;
      for (let c = 0; c < k; c++) proba[i * k + c] = byClass[model.classes[c]!]!;
      labels[i] = predictions[i]!.label as string;
    }
    all.push({ name: 'label', datatype: 'BYTES', shape: [n], data: labels });
    all.push({ name: 'probabilities', datatype: 'FP32', shape: [n, k], parameters: classParameters(model), data: proba });
  }
  if (!requested || requested.length === 0) return all;
  return requested.map((name) => {
    const t = all.find((o) => o.name === name);
    if (!t) throw bad(`output ${show(name)} is not an output of model ${model.name} (${all.map((o) => o.name).join(', ')})`);
    return t;
  });
}

/** Response parameters: the request's echoed, then the prediction ids (for feedback) and the answering arm. */
export function responseParameters(requestParameters: Parameters | undefined, predictions: Record<string, unknown>[], arm: string): Parameters {
  return { ...requestParameters, prediction_ids: predictions.map((p) => p.id as string).join(','), arm };
}

/** Request parameters as the protocol allows them: an object of strings, numbers and booleans. */
export function checkParameters(v: unknown, where: string): Parameters | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${where} must be an object`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') throw bad(`${where}.${k} must be a string, number or boolean`);
  }
  return v as Parameters;
}

/** Bytes per element of the fixed-size datatypes, as raw contents lay them out (little-endian). */
const WIDTH: Record<string, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  BF16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** Little-endian readers of one element of each fixed-size datatype that is decoded. */
const READ: Record<string, (view: DataView, at: number) => unknown> = {
  BOOL: (v, at) => v.getUint8(at) !== 0,
  UINT8: (v, at) => v.getUint8(at),
  INT8: (v, at) => v.getInt8(at),
  UINT16: (v, at) => v.getUint16(at, true),
  INT16: (v, at) => v.getInt16(at, true),
  UINT32: (v, at) => v.getUint32(at, true),
  INT32: (v, at) => v.getInt32(at, true),
  UINT64: (v, at) => Number(v.getBigUint64(at, true)),
  INT64: (v, at) => Number(v.getBigInt64(at, true)),
  FP32: (v, at) => v.getFloat32(at, true),
  FP64: (v, at) => v.getFloat64(at, true),
};
const TYPED: Record<string, Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor> = {
  UINT8: Uint32Array,
  INT8: Int32Array,
  UINT16: Uint32Array,
  INT16: Int32Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** Raw tensor contents (gRPC raw_input_contents) → values; the length must fit the shape and datatype. */
export function decodeRaw(name: string, datatype: string, shape: number[], raw: Uint8Array): ArrayLike<unknown> {
  if (!KNOWN.has(datatype)) throw bad(`input ${name}: unknown datatype ${show(datatype)} (one of ${DATATYPES.join(', ')})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_INSTANCES)
    throw bad(`input ${name}: shape ${show(shape)} must be [n] or [n, 1] with n ≤ ${MAX_INSTANCES}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (datatype === 'BYTES') {
    // Each element: a 4-byte little-endian length, then that many bytes.
    const out: string[] = [];
    let at = 0;
    while (at < raw.byteLength) {
      if (at + 4 > raw.byteLength) throw bad(`input ${name}: raw BYTES contents end inside an element's length prefix`);
      const len = view.getUint32(at, true);
      if (at + 4 + len > raw.byteLength) throw bad(`input ${name}: raw BYTES element ${out.length} claims ${len} bytes, past the end of the contents`);
      out.push(Buffer.from(raw.buffer, raw.byteOffset + at + 4, len).toString('utf8'));
      at += 4 + len;
    }
    return out;
  }
  const width = WIDTH[datatype]!;
  if (raw.byteLength !== count * width)
    throw bad(`input ${name}: raw contents hold ${raw.byteLength} bytes, shape ${show(shape)} of ${datatype} needs ${count * width}`);
  if (datatype === 'FP16' || datatype === 'BF16') throw bad(`input ${name}: ${datatype} is not supported (send FP32 or FP64)`);
  // Numbers straight into a typed array; BOOL and the 64-bit integers as plain values.
  const typed = TYPED[datatype];
  const out: ArrayLike<unknown> & { [i: number]: unknown } = typed ? new typed(count) : new Array<unknown>(count);
  const read = READ[datatype]!;
  for (let i = 0; i < count; i++) out[i] = read(view, i * width);
  return out;
}
