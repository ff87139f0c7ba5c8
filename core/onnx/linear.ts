// Exports "encoders + linear model" as one ONNX graph: one input per raw feature column, the EncodingPlan
// as graph ops, then LinearClassifier / LinearRegressor (ai.onnx.ml). Serving needs no TypeScript encoder.
//
// Per encoding (all float32; "/enc<i>/…" are internal tensor names):
//   numeric  x[N,1] float → Where(Or(IsNaN(x), IsInf(x)), impute, x) → Sub(mean) → Div(scale)
//   ordinal  x[N,1] string → LabelEncoder(keys=categories, values=0..k−1, default −1)
//            → Where(Equal(idx, −1), impute, idx) → Sub(mean) → Div(scale)
//   onehot   x[N,1] string → OneHotEncoder(cats, zeros=1) [N,1,k] → Reshape [N,k]
//            (+ other = 1 − ReduceSum(onehot, axis 1): unknown values and "" land there)
// Concat(axis 1, plan order) → /features [N,width] → model.
import type { ColumnEncoding, EncodingPlan, LinearModel } from '../ml/model';
import { encodingWidth } from '../features/encode';
import {
  addFloatConstant,
  addInt64Constant,
  addNode,
  attr,
  emptyGraph,
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

export function exportLinearOnnx(
  plan: EncodingPlan,
  model: LinearModel,
  meta: { name: string; version: number; producer?: string },
): OnnxExport {
  checkExport(plan, model, meta);
  const g = emptyGraph();
  const inputs = graphInputs(plan);

  const parts: string[] = [];
  plan.columns.forEach((enc, i) => parts.push(...encodeColumn(g, enc, `/enc${i}`)));
  const features = addNode(g, 'Concat', parts, ['/features'], [attr.int('axis', 1)]);

  const outputs = addModel(g, model, features);
  const signature: OnnxSignature = {
    inputs,
    outputs,
    ...(model.kind === 'logistic' ? { classes: [...model.classes] } : {}),
    opsets: { 'ai.onnx': ONNX_OPSET, 'ai.onnx.ml': ML_OPSET },
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
      docString: `${model.kind === 'logistic' ? 'logistic regression' : 'ridge regression'} with its feature encoders`,
      metadata: [['mlops.signature', JSON.stringify(signature)]],
    },
  );
  return { bytes, signature };
}

/** One graph input per raw column, in plan order (a column used by two encodings is declared once). */
function graphInputs(plan: EncodingPlan): OnnxInputSpec[] {
  const seen = new Map<string, OnnxInputSpec>();
  for (const enc of plan.columns) {
    const type = enc.kind === 'numeric' ? 'float32' : 'string';
    const prior = seen.get(enc.input);
    if (prior !== undefined && prior.type !== type) {
      throw new Error(`ONNX export: column "${enc.input}" is encoded both as a number and as a category; a graph input has one type`);
    }
    if (prior === undefined) seen.set(enc.input, { name: enc.input, type, shape: [-1, 1] });
  }
  return [...seen.values()];
}

/** Adds the ops for one encoding; returns the [N, w] float tensors to concatenate. */
function encodeColumn(g: GraphParts, enc: ColumnEncoding, p: string): string[] {
  if (enc.kind === 'numeric') {
    const bad = addNode(g, 'Or', [addNode(g, 'IsNaN', [enc.input], [`${p}/isnan`]), addNode(g, 'IsInf', [enc.input], [`${p}/isinf`])], [`${p}/missing`]);
    const imputed = addNode(g, 'Where', [bad, addFloatConstant(g, `${p}/impute`, [], [enc.impute]), enc.input], [`${p}/imputed`]);
    return [scale(g, imputed, enc.mean, enc.scale, p)];
  }
  if (enc.kind === 'ordinal') {
    const idx = addNode(
      g,
      'LabelEncoder',
      [enc.input],
      [`${p}/index`],
      [attr.strings('keys_strings', enc.categories), attr.floats('values_floats', enc.categories.map((_, i) => i)), attr.float('default_float', -1)],
      ML_DOMAIN,
    );
    const unknown = addNode(g, 'Equal', [idx, addFloatConstant(g, `${p}/unknown_index`, [], [-1])], [`${p}/unknown`]);
    const imputed = addNode(g, 'Where', [unknown, addFloatConstant(g, `${p}/impute`, [], [enc.impute]), idx], [`${p}/imputed`]);
    return [scale(g, imputed, enc.mean, enc.scale, p)];
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

function addModel(g: GraphParts, model: LinearModel, features: string): OnnxOutputSpec[] {
  if (model.kind === 'ridge') {
    addNode(
      g,
      'LinearRegressor',
      [features],
      [OUTPUT.value],
      [attr.floats('coefficients', model.coefficients), attr.floats('intercepts', [model.intercept]), attr.int('targets', 1), attr.string('post_transform', 'NONE')],
      ML_DOMAIN,
    );
    return [{ name: OUTPUT.value, type: 'float32', shape: [-1, 1] }];
  }
  const binary = model.classes.length === 2;
  // Binary: one coefficient row for classes[1]; with LOGISTIC onnxruntime emits [1 − p, p] per row (an [N, 2]
  // tensor, checked in test/unit/onnx/linear.test.ts). Multinomial: one row per class, softmax over the scores.
  addNode(
    g,
    'LinearClassifier',
    [features],
    [OUTPUT.label, OUTPUT.probabilities],
    [
      attr.floats('coefficients', model.coefficients),
      attr.floats('intercepts', model.intercepts),
      attr.strings('classlabels_strings', model.classes),
      attr.int('multi_class', 0),
      attr.string('post_transform', binary ? 'LOGISTIC' : 'SOFTMAX'),
    ],
    ML_DOMAIN,
  );
  return [
    { name: OUTPUT.label, type: 'string', shape: [-1] },
    { name: OUTPUT.probabilities, type: 'float32', shape: [-1, model.classes.length] },
  ];
}

// ---- validation ----------------------------------------------------------------------------------------

function checkExport(plan: EncodingPlan, model: LinearModel, meta: { name: string; version: number }): void {
  const fail = (rule: string): never => {
    throw new Error(`ONNX export of "${meta.name}": ${rule}`);
  };
  if (meta.name === '') fail('the model name is empty');
  if (!Number.isSafeInteger(meta.version) || meta.version < 0) fail(`version must be a non-negative integer, got ${meta.version}`);
  if (plan.columns.length === 0) fail('the encoding plan has no columns');
  const width = plan.columns.reduce((w, c) => w + encodingWidth(c), 0);
  if (width !== plan.width) fail(`the encoding plan says width ${plan.width} but its columns add up to ${width}`);
  if (model.width !== plan.width) fail(`the model has width ${model.width} but the encoding plan ${plan.width}; they come from different fits`);

  const reserved = new Set<string>(Object.values(OUTPUT));
  for (const enc of plan.columns) {
    const col = `column "${enc.input}"`;
    if (enc.input === '' || enc.input.startsWith('/') || reserved.has(enc.input)) {
      fail(`${col}: input names must be non-empty, must not start with "/" and must not be one of ${[...reserved].join(', ')}`);
    }
    if (enc.kind !== 'numeric') {
      if (enc.categories.length === 0) fail(`${col} has no categories`);
      if (enc.categories.includes('')) fail(`${col}: "" is the graph's missing value and cannot be a category`);
      if (new Set(enc.categories).size !== enc.categories.length) fail(`${col} lists a category twice`);
    }
    if (enc.kind !== 'onehot') {
      checkFloat32(`${col} impute`, [enc.impute], fail);
      checkFloat32(`${col} mean`, [enc.mean], fail);
      checkFloat32(`${col} scale`, [enc.scale], fail);
      if (Math.fround(enc.scale) === 0) fail(`${col}: scale is 0 in float32`);
    }
  }
  if (model.kind === 'ridge') {
    if (model.coefficients.length !== model.width) fail(`${model.coefficients.length} coefficients for width ${model.width}`);
    checkFloat32('coefficients', model.coefficients, fail);
    checkFloat32('intercept', [model.intercept], fail);
    return;
  }
  const c = model.classes.length;
  if (c < 2) fail(`a classifier needs at least 2 classes, got ${c}`);
  if (new Set(model.classes).size !== c) fail('the class labels are not unique');
  const rows = c === 2 ? 1 : c;
  if (model.coefficients.length !== rows * model.width) {
    fail(`${c} classes need ${rows} × ${model.width} coefficients, got ${model.coefficients.length}`);
  }
  if (model.intercepts.length !== rows) fail(`${c} classes need ${rows} intercepts, got ${model.intercepts.length}`);
  checkFloat32('coefficients', model.coefficients, fail);
  checkFloat32('intercepts', model.intercepts, fail);
}

function checkFloat32(what: string, xs: ArrayLike<number>, fail: (rule: string) => never): void {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] ?? NaN;
    if (!Number.isFinite(Math.fround(x))) fail(`${what}[${i}] = ${x} is not a finite float32`);
  }
}
