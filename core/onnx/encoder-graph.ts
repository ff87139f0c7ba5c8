// The encoder half of every exported graph: one input per raw feature column, the EncodingPlan as graph ops,
// concatenated into "/features" [N, width] float32 for the model node(s) that follow (linear.ts, trees.ts).
//
// Per encoding (all float32; "/enc<i>/…" are internal tensor names):
//   numeric      x[N,1] float → Where(Or(IsNaN(x), IsInf(x)), impute, x) → Sub(mean) → Div(scale)
//   passthrough  x[N,1] float → Where(IsInf(x), NaN, x)   (NaN stays NaN: missing, routed by the trees)
//   ordinal      x[N,1] string → LabelEncoder(keys=categories, values=0..k−1, default −1)
//                → Where(Equal(idx, −1), impute, idx) → Sub(mean) → Div(scale)
//   category     x[N,1] string → LabelEncoder(keys = categories + [""], values = 0..k−1 + [NaN], default k):
//                the code, "other" (k) for values not kept, NaN for missing ("")
//   onehot       x[N,1] string → OneHotEncoder(cats, zeros=1) [N,1,k] → Reshape [N,k]
//                (+ other = 1 − ReduceSum(onehot, axis 1): unknown values and "" land there)
// Concat(axis 1, plan order) → /features [N,width].
import type { ColumnEncoding, EncodingPlan } from '../ml/model';
import { encodingWidth } from '../features/encode';
import {
  addFloatConstant,
  addInt64Constant,
  addNode,
  attr,
  encodeModel,
  IR_VERSION,
  ML_DOMAIN,
  ML_OPSET,
  ONNX_OPSET,
  valueInfo,
  type GraphParts,
} from './graph-builder';
import { OUTPUT, type OnnxInputSpec, type OnnxOutputSpec, type OnnxSignature } from './signature';

export interface OnnxExport {
  bytes: Uint8Array;
  signature: OnnxSignature;
}

export interface ExportMeta {
  name: string;
  version: number;
  producer?: string;
}

export type Fail = (rule: string) => never;

/** A thrower whose errors name the model being exported. */
export function exportFailure(meta: { name: string }): Fail {
  return (rule) => {
    throw new Error(`ONNX export of "${meta.name}": ${rule}`);
  };
}

/** One graph input per raw column, in plan order (a column used by two encodings is declared once). */
export function graphInputs(plan: EncodingPlan): OnnxInputSpec[] {
  const seen = new Map<string, OnnxInputSpec>();
  for (const enc of plan.columns) {
    const type = enc.kind === 'numeric' || enc.kind === 'passthrough' ? 'float32' : 'string';
    const prior = seen.get(enc.input);
    if (prior !== undefined && prior.type !== type) {
      throw new Error(`ONNX export: column "${enc.input}" is encoded both as a number and as a category; a graph input has one type`);
    }
    if (prior === undefined) seen.set(enc.input, { name: enc.input, type, shape: [-1, 1] });
  }
  return [...seen.values()];
}

/** Adds the encoders of `plan` to `g`; returns the name of the [N, width] float tensor they produce. */
export function addEncoders(g: GraphParts, plan: EncodingPlan): string {
  const parts: string[] = [];
  plan.columns.forEach((enc, i) => parts.push(...encodeColumn(g, enc, `/enc${i}`)));
  return addNode(g, 'Concat', parts, ['/features'], [attr.int('axis', 1)]);
}

/** Serializes the graph with its signature (also stored as metadata "mlops.signature"). */
export function finishExport(
  g: GraphParts,
  inputs: OnnxInputSpec[],
  outputs: OnnxOutputSpec[],
  classes: string[] | undefined,
  meta: ExportMeta,
  docString: string,
  mlOpset = ML_OPSET,
): OnnxExport {
  const signature: OnnxSignature = {
    inputs,
    outputs,
    ...(classes !== undefined ? { classes: [...classes] } : {}),
    opsets: { 'ai.onnx': ONNX_OPSET, 'ai.onnx.ml': mlOpset },
    irVersion: IR_VERSION,
  };
  const bytes = encodeModel(
    g,
    inputs.map((s) => valueInfo(s.name, s.type, s.shape)),
    outputs.map((s) => valueInfo(s.name, s.type, s.shape)),
    {
      graphName: meta.name,
      modelVersion: meta.version,
      producer: meta.producer ?? 'temporal-mlops',
      docString,
      metadata: [['mlops.signature', JSON.stringify(signature)]],
      mlOpset,
    },
  );
  return { bytes, signature };
}

/** Adds the ops for one encoding; returns the [N, w] float tensors to concatenate. */
function encodeColumn(g: GraphParts, enc: ColumnEncoding, p: string): string[] {
  if (enc.kind === 'numeric') {
    const bad = addNode(g, 'Or', [addNode(g, 'IsNaN', [enc.input], [`${p}/isnan`]), addNode(g, 'IsInf', [enc.input], [`${p}/isinf`])], [`${p}/missing`]);
    const imputed = addNode(g, 'Where', [bad, addFloatConstant(g, `${p}/impute`, [], [enc.impute]), enc.input], [`${p}/imputed`]);
    return [scale(g, imputed, enc.mean, enc.scale, p)];
  }
  if (enc.kind === 'passthrough') {
    const inf = addNode(g, 'IsInf', [enc.input], [`${p}/isinf`]);
    return [addNode(g, 'Where', [inf, addFloatConstant(g, `${p}/nan`, [], [NaN]), enc.input], [`${p}/value`])];
  }
  if (enc.kind === 'ordinal') {
    const idx = addNode(
      g,
      'LabelEncoder',
      [enc.input],
      [`${p}/index`],
      [
        attr.strings('keys_strings', enc.categories),
        attr.floats(
          'values_floats',
          enc.categories.map((_, i) => i),
        ),
        attr.float('default_float', -1),
      ],
      ML_DOMAIN,
    );
    const unknown = addNode(g, 'Equal', [idx, addFloatConstant(g, `${p}/unknown_index`, [], [-1])], [`${p}/unknown`]);
    const imputed = addNode(g, 'Where', [unknown, addFloatConstant(g, `${p}/impute`, [], [enc.impute]), idx], [`${p}/imputed`]);
    return [scale(g, imputed, enc.mean, enc.scale, p)];
  }
  if (enc.kind === 'category') {
    const codes = [...enc.categories.map((_, i) => i), NaN];
    return [
      addNode(
        g,
        'LabelEncoder',
        [enc.input],
        [`${p}/code`],
        [attr.strings('keys_strings', [...enc.categories, '']), attr.floats('values_floats', codes), attr.float('default_float', enc.categories.length)],
        ML_DOMAIN,
      ),
    ];
  }
  const k = enc.categories.length;
  const hot3 = addNode(g, 'OneHotEncoder', [enc.input], [`${p}/onehot3d`], [attr.strings('cats_strings', enc.categories), attr.int('zeros', 1)], ML_DOMAIN);
  const hot = addNode(g, 'Reshape', [hot3, addInt64Constant(g, `${p}/shape`, [2], [-1, k])], [`${p}/onehot`]);
  if (!enc.other) return [hot];
  const sum = addNode(g, 'ReduceSum', [hot, addInt64Constant(g, `${p}/axes`, [1], [1])], [`${p}/hot_count`], [attr.int('keepdims', 1)]);
  const other = addNode(g, 'Sub', [addFloatConstant(g, `${p}/one`, [], [1]), sum], [`${p}/other`]);
  return [hot, other];
}

function scale(g: GraphParts, x: string, mean: number, scale: number, p: string): string {
  const centred = addNode(g, 'Sub', [x, addFloatConstant(g, `${p}/mean`, [], [mean])], [`${p}/centred`]);
  return addNode(g, 'Div', [centred, addFloatConstant(g, `${p}/scale`, [], [scale])], [`${p}/scaled`]);
}

// ---- validation ----------------------------------------------------------------------------------------

/** Checks the export's name and version, the plan, and that the model was fitted on the plan's width. */
export function checkEncoderExport(plan: EncodingPlan, modelWidth: number, meta: { name: string; version: number }, fail: Fail): void {
  if (meta.name === '') fail('the model name is empty');
  if (!Number.isSafeInteger(meta.version) || meta.version < 0) fail(`version must be a non-negative integer, got ${meta.version}`);
  if (plan.columns.length === 0) fail('the encoding plan has no columns');
  const width = plan.columns.reduce((w, c) => w + encodingWidth(c), 0);
  if (width !== plan.width) fail(`the encoding plan says width ${plan.width} but its columns add up to ${width}`);
  if (modelWidth !== plan.width) fail(`the model has width ${modelWidth} but the encoding plan ${plan.width}; they come from different fits`);

  const reserved = new Set<string>(Object.values(OUTPUT));
  for (const enc of plan.columns) {
    const col = `column "${enc.input}"`;
    if (enc.input === '' || enc.input.startsWith('/') || reserved.has(enc.input)) {
      fail(`${col}: input names must be non-empty, must not start with "/" and must not be one of ${[...reserved].join(', ')}`);
    }
    if (enc.kind === 'category' && enc.categories.includes('')) fail(`${col}: "" is the graph's missing value and cannot be a category`);
    if (enc.kind === 'category' && enc.categories.length > 254) fail(`${col} has ${enc.categories.length} categories; at most 254 codes fit with "other"`);
    if (enc.kind === 'onehot' || enc.kind === 'ordinal') {
      if (enc.categories.length === 0) fail(`${col} has no categories`);
      if (enc.categories.includes('')) fail(`${col}: "" is the graph's missing value and cannot be a category`);
      if (new Set(enc.categories).size !== enc.categories.length) fail(`${col} lists a category twice`);
    }
    if (enc.kind === 'numeric' || enc.kind === 'ordinal') {
      checkFloat32(`${col} impute`, [enc.impute], fail);
      checkFloat32(`${col} mean`, [enc.mean], fail);
      checkFloat32(`${col} scale`, [enc.scale], fail);
      if (Math.fround(enc.scale) === 0) fail(`${col}: scale is 0 in float32`);
    }
  }
}

export function checkFloat32(what: string, xs: ArrayLike<number>, fail: Fail): void {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] ?? NaN;
    if (!Number.isFinite(Math.fround(x))) fail(`${what}[${i}] = ${x} is not a finite float32`);
  }
}
