// Exports "encoders + GBDT" as one ONNX graph: the EncodingPlan as graph ops (encoder-graph.ts), then
// Cast(double) and TreeEnsembleClassifier / TreeEnsembleRegressor (ai.onnx.ml opset 3; onnxruntime rejects
// them at 5) on "/features". Same inputs and outputs as the linear export.
//
// Tree layout: one ONNX tree per model tree, node ids local to the tree (root 0) as in GbdtForest. Splits are
// BRANCH_LEQ with the float32 threshold: true branch (x ≤ threshold) = left child, exactly predictGbdt's rule
// on f32(x). NaN goes to the true branch when nodes_missing_value_tracks_true is 1 (missingLeft), else false.
// The encoders turn ±Infinity into NaN (passthrough) or impute (standardize), so the trees only see NaN.
//   binary      TreeEnsembleClassifier, every leaf on class id 0, base_values [prior log-odds],
//               post_transform LOGISTIC: onnxruntime returns [1 − p, p] with p = σ(score) (plus, when no leaf
//               is negative, a tree adding 0 that keeps onnxruntime's label rule right; see below)
//   multiclass  leaves on their tree's class, base_values = log priors, post_transform SOFTMAX
//   regression  TreeEnsembleRegressor, one target, aggregate SUM, base_values [mean] → value [N, 1]
// A model with native categorical splits goes out as ai.onnx.ml opset 5 TreeEnsemble instead (trees-member.ts).
import { encodingWidth } from '../features/encode';
import { CAT_WORDS, type EncodingPlan, type GbdtModel } from '../ml/model';
import { addNode, attr, DataType, emptyGraph, ML_DOMAIN, type Attribute, type GraphParts } from './graph-builder';
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
import { addMemberEnsemble, hasCategoricalSplits, MEMBER_ML_OPSET } from './trees-member';

export function exportGbdtOnnx(plan: EncodingPlan, model: GbdtModel, meta: ExportMeta): OnnxExport {
  checkExport(plan, model, meta);
  const g = emptyGraph();
  const inputs = graphInputs(plan);
  const features = addEncoders(g, plan);
  // Double input makes onnxruntime compare and sum in double (its tree kernels use float only for float input):
  // float32 inputs and thresholds compare exactly as before, and the sums of float32 leaves match predictGbdt's
  // float64 sums instead of drifting by float32 ulps of the largest partial sum.
  const features64 = addNode(g, 'Cast', [features], ['/features_f64'], [attr.int('to', DataType.DOUBLE)]);
  const member = hasCategoricalSplits(model);
  const outputs = member ? addMemberEnsemble(g, model, features64) : addEnsemble(g, model, features64);
  const trees = model.trees.treeClass.length;
  return finishExport(
    g,
    inputs,
    outputs,
    model.task === 'regression' ? undefined : model.classes,
    meta,
    `gradient-boosted trees (${model.task}, ${trees} trees) with their feature encoders`,
    member ? MEMBER_ML_OPSET : undefined,
  );
}

interface EnsembleAttributes {
  nodes: Attribute[];
  leafTrees: number[];
  leafNodes: number[];
  leafTargets: number[];
  leafWeights: number[];
}

/** The nodes_* attributes, and per leaf its tree, node, target (class) and weight. */
function ensembleAttributes(model: GbdtModel): EnsembleAttributes {
  const f = model.trees;
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const out: Omit<EnsembleAttributes, 'nodes'> = { leafTrees: [], leafNodes: [], leafTargets: [], leafWeights: [] };
  for (let t = 0; t < f.treeClass.length; t++) {
    const from = f.treeStart[t]!;
    for (let i = from; i < f.treeStart[t + 1]!; i++) {
      const leaf = f.feature[i]! < 0;
      treeIds.push(t);
      nodeIds.push(i - from);
      featureIds.push(leaf ? 0 : f.feature[i]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : f.threshold[i]!);
      trueIds.push(leaf ? 0 : f.left[i]!);
      falseIds.push(leaf ? 0 : f.right[i]!);
      missingTrue.push(leaf ? 0 : f.missingLeft[i]!);
      if (!leaf) continue;
      out.leafTrees.push(t);
      out.leafNodes.push(i - from);
      out.leafTargets.push(model.task === 'multiclass' ? f.treeClass[t]! : 0);
      out.leafWeights.push(f.value[i]!);
    }
  }
  if (model.task === 'binary' && out.leafWeights.every((w) => w >= 0)) {
    // onnxruntime picks a binary label by "score > 0.5" (not "> 0") when no leaf weight is negative, which
    // mislabels rows with p in (0.5, σ(0.5)]. A tree that adds exactly 0 to every row but holds a −1 leaf on its
    // unreachable branch (x ≤ +Infinity is true for every number; NaN takes the true branch) restores "> 0".
    const t = f.treeClass.length;
    treeIds.push(t, t, t);
    nodeIds.push(0, 1, 2);
    featureIds.push(0, 0, 0);
    modes.push('BRANCH_LEQ', 'LEAF', 'LEAF');
    values.push(Infinity, 0, 0);
    trueIds.push(1, 0, 0);
    falseIds.push(2, 0, 0);
    missingTrue.push(1, 0, 0);
    out.leafTrees.push(t, t);
    out.leafNodes.push(1, 2);
    out.leafTargets.push(0, 0);
    out.leafWeights.push(0, -1);
  }
  return {
    nodes: [
      attr.ints('nodes_treeids', treeIds),
      attr.ints('nodes_nodeids', nodeIds),
      attr.ints('nodes_featureids', featureIds),
      attr.strings('nodes_modes', modes),
      attr.floats('nodes_values', values),
      attr.ints('nodes_truenodeids', trueIds),
      attr.ints('nodes_falsenodeids', falseIds),
      attr.ints('nodes_missing_value_tracks_true', missingTrue),
    ],
    ...out,
  };
}

function addEnsemble(g: GraphParts, model: GbdtModel, features: string): OnnxOutputSpec[] {
  const a = ensembleAttributes(model);
  if (model.task === 'regression') {
    addNode(
      g,
      'TreeEnsembleRegressor',
      [features],
      [OUTPUT.value],
      [
        ...a.nodes,
        attr.ints('target_treeids', a.leafTrees),
        attr.ints('target_nodeids', a.leafNodes),
        attr.ints('target_ids', a.leafTargets),
        attr.floats('target_weights', a.leafWeights),
        attr.int('n_targets', 1),
        attr.string('aggregate_function', 'SUM'),
        attr.string('post_transform', 'NONE'),
        attr.floats('base_values', model.baseScores),
      ],
      ML_DOMAIN,
    );
    return [{ name: OUTPUT.value, type: 'float32', shape: [-1, 1] }];
  }
  addNode(
    g,
    'TreeEnsembleClassifier',
    [features],
    [OUTPUT.label, OUTPUT.probabilities],
    [
      ...a.nodes,
      attr.ints('class_treeids', a.leafTrees),
      attr.ints('class_nodeids', a.leafNodes),
      attr.ints('class_ids', a.leafTargets),
      attr.floats('class_weights', a.leafWeights),
      attr.strings('classlabels_strings', model.classes),
      attr.string('post_transform', model.task === 'binary' ? 'LOGISTIC' : 'SOFTMAX'),
      attr.floats('base_values', model.baseScores),
    ],
    ML_DOMAIN,
  );
  return classifierOutputs(model.classes.length);
}

// ---- validation ----------------------------------------------------------------------------------------

function checkExport(plan: EncodingPlan, model: GbdtModel, meta: { name: string; version: number }): void {
  const fail: Fail = exportFailure(meta);
  checkEncoderExport(plan, model.width, meta, fail);
  const f = model.trees;
  const trees = f.treeClass.length;
  if (trees === 0) fail('the model has no trees');
  const columns = model.task === 'multiclass' ? model.classes.length : 1;
  if (model.task === 'regression') {
    if (model.classes.length !== 0) fail(`a regression model has no classes, got ${model.classes.length}`);
  } else {
    const c = model.classes.length;
    if (model.task === 'binary' ? c !== 2 : c < 3) fail(`a ${model.task} model cannot have ${c} classes`);
    if (new Set(model.classes).size !== c) fail('the class labels are not unique');
  }
  if (model.baseScores.length !== columns) fail(`a ${model.task} model needs ${columns} base score(s), got ${model.baseScores.length}`);
  checkFloat32('baseScores', model.baseScores, fail);
  if (f.treeStart.length !== trees + 1 || f.treeStart[0] !== 0 || f.treeStart[trees] !== f.feature.length) fail('treeStart does not index the node arrays');
  if (f.categorical.length !== f.feature.length || f.catBits.length !== CAT_WORDS * f.feature.length) fail('categorical / catBits do not match the node count');
  // Set splits test category codes: only columns the plan encodes as codes have them.
  const codes = new Uint8Array(plan.width);
  let at = 0;
  for (const enc of plan.columns) {
    if (enc.kind === 'category') codes[at] = 1;
    at += encodingWidth(enc);
  }
  for (let t = 0; t < trees; t++) {
    const from = f.treeStart[t]!;
    const size = f.treeStart[t + 1]! - from;
    if (size < 1) fail(`tree ${t} has no nodes`);
    const k = f.treeClass[t]!;
    if (k < 0 || k >= columns) fail(`tree ${t} adds to score column ${k}; the model has ${columns}`);
    for (let n = 0; n < size; n++) {
      const i = from + n;
      const feature = f.feature[i]!;
      if (feature < 0) continue;
      if (feature >= model.width) fail(`tree ${t} node ${n} splits on column ${feature} of ${model.width}`);
      if (f.categorical[i] === 1 && codes[feature] !== 1)
        fail(`tree ${t} node ${n} splits column ${feature} by a set of categories, but the plan does not encode it as category codes`);
      if (!(f.left[i]! > n && f.left[i]! < size && f.right[i]! > n && f.right[i]! < size)) fail(`tree ${t} node ${n} has children outside the tree`);
      if (Math.fround(f.threshold[i]!) !== f.threshold[i]) fail(`tree ${t} node ${n}: threshold ${f.threshold[i]} is not a float32 value`);
    }
  }
  checkFloat32('thresholds', f.threshold, fail);
  checkFloat32('leaf values', f.value, fail);
}
