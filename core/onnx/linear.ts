// Exports "encoders + linear model" as one ONNX graph: the EncodingPlan as graph ops (encoder-graph.ts), then
// LinearClassifier / LinearRegressor (ai.onnx.ml) on "/features". Serving needs no TypeScript encoder.
import type { EncodingPlan, LinearModel } from '../ml/model';
import { addNode, attr, emptyGraph, ML_DOMAIN, type GraphParts } from './graph-builder';
import {
  addEncoders,
  checkEncoderExport,
  checkFloat32,
  exportFailure,
  finishExport,
  graphInputs,
  type ExportMeta,
  type Fail,
  type OnnxExport,
} from './encoder-graph';
import { classifierOutputs, OUTPUT, type OnnxOutputSpec } from './signature';

export type { OnnxExport } from './encoder-graph';

export function exportLinearOnnx(plan: EncodingPlan, model: LinearModel, meta: ExportMeta): OnnxExport {
  checkExport(plan, model, meta);
  const g = emptyGraph();
  const inputs = graphInputs(plan);
  const features = addEncoders(g, plan);
  const outputs = addModel(g, model, features);
  return finishExport(
    g,
    inputs,
    outputs,
    model.kind === 'logistic' ? model.classes : undefined,
    meta,
    `${model.kind === 'logistic' ? 'logistic regression' : 'ridge regression'} with its feature encoders`,
  );
}

function addModel(g: GraphParts, model: LinearModel, features: string): OnnxOutputSpec[] {
  if (model.kind === 'ridge') {
    addNode(
      g,
      'LinearRegressor',
      [features],
      [OUTPUT.value],
      [
        attr.floats('coefficients', model.coefficients),
        attr.floats('intercepts', [model.intercept]),
        attr.int('targets', 1),
        attr.string('post_transform', 'NONE'),
      ],
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
  return classifierOutputs(model.classes.length);
}

// ---- validation ----------------------------------------------------------------------------------------

function checkExport(plan: EncodingPlan, model: LinearModel, meta: { name: string; version: number }): void {
  const fail: Fail = exportFailure(meta);
  checkEncoderExport(plan, model.width, meta, fail);
  for (const enc of plan.columns) {
    if (enc.kind === 'passthrough') {
      fail(`column "${enc.input}" is encoded passthrough, which keeps missing values as NaN; a linear model needs them imputed: encode it with standardize`);
    }
    if (enc.kind === 'category') fail(`column "${enc.input}" is encoded as category codes, which only trees split on: encode it with onehot or ordinal`);
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
