// GBDTs with native categorical splits as ONNX: ai.onnx.ml opset 5 `TreeEnsemble`, whose BRANCH_MEMBER nodes
// test set membership (TreeEnsembleClassifier/Regressor have no such mode and are gone at opset 5).
//
// Nodes: numeric splits are BRANCH_LEQ on the float32 threshold (held as a double, compared with the double
// cast of the float32 feature: the same test as predictGbdt); categorical splits are BRANCH_MEMBER with the
// node's codes as a NaN-terminated run of membership_values. Either way NaN (missing) takes the true (left)
// branch when nodes_missing_value_tracks_true is 1, and a value not in a set (an unseen category's "other"
// code) the false (right) branch, as predictGbdt does. A categorical split whose set holds only the missing
// values is BRANCH_LEQ at −FLOAT32_MAX: no code is ≤ it, NaN follows missingLeft.
//
// TreeEnsemble returns raw scores [N, targets] in double; the graph adds the base scores and turns them into
//   binary      probabilities [1 − σ(s), σ(s)], label classes[s > 0]
//   multiclass  Softmax over the class scores, label classes[ArgMax]
//   regression  value [N, 1] = s
import { CAT_WORDS, type GbdtModel } from '../ml/model';
import { FLOAT32_MAX } from '../ml/gbdt-tree';
import { addDoubleConstant, addInt64Constant, addNode, addStringConstant, attr, DataType, ML_DOMAIN, type GraphParts } from './graph-builder';
import { classifierOutputs, OUTPUT, type OnnxOutputSpec } from './signature';

/** The ai.onnx.ml opset of TreeEnsemble. */
export const MEMBER_ML_OPSET = 5;

const MODE_LEQ = 0;
const MODE_MEMBER = 6;

/** True when some split of the model tests a set of category codes. */
export function hasCategoricalSplits(model: GbdtModel): boolean {
  return model.trees.categorical.some((c) => c === 1);
}

interface TreeEnsembleAttributes {
  featureIds: number[];
  modes: number[];
  splits: number[];
  trueIds: number[];
  trueLeafs: number[];
  falseIds: number[];
  falseLeafs: number[];
  missingTrue: number[];
  members: number[];
  roots: number[];
  leafTargets: number[];
  leafWeights: number[];
}

/** Interior nodes and leaves in separate lists, as TreeEnsemble takes them; children by list index. */
function ensembleLists(model: GbdtModel): TreeEnsembleAttributes {
  const f = model.trees;
  const a: TreeEnsembleAttributes = {
    featureIds: [],
    modes: [],
    splits: [],
    trueIds: [],
    trueLeafs: [],
    falseIds: [],
    falseLeafs: [],
    missingTrue: [],
    members: [],
    roots: [],
    leafTargets: [],
    leafWeights: [],
  };
  for (let t = 0; t < f.treeClass.length; t++) {
    const from = f.treeStart[t]!;
    const size = f.treeStart[t + 1]! - from;
    const target = model.task === 'multiclass' ? f.treeClass[t]! : 0;
    // Index of every node of the tree in the interior list or in the leaf list.
    const index = new Int32Array(size);
    let interior = a.featureIds.length;
    let leaves = a.leafWeights.length;
    for (let n = 0; n < size; n++) index[n] = f.feature[from + n]! < 0 ? leaves++ : interior++;
    if (size === 1) {
      // A lone leaf: TreeEnsemble roots are interior nodes, so one whose both branches reach the leaf.
      a.roots.push(a.featureIds.length);
      pushNode(a, 0, MODE_LEQ, 0, a.leafWeights.length, 1, a.leafWeights.length, 1, 0);
      a.leafTargets.push(target);
      a.leafWeights.push(f.value[from]!);
      continue;
    }
    a.roots.push(a.featureIds.length);
    for (let n = 0; n < size; n++) {
      const i = from + n;
      if (f.feature[i]! < 0) {
        a.leafTargets.push(target);
        a.leafWeights.push(f.value[i]!);
        continue;
      }
      const l = f.left[i]!;
      const r = f.right[i]!;
      const lLeaf = f.feature[from + l]! < 0 ? 1 : 0;
      const rLeaf = f.feature[from + r]! < 0 ? 1 : 0;
      const codes = f.categorical[i] === 1 ? setCodes(f.catBits, i) : undefined;
      if (codes === undefined || codes.length === 0) {
        const threshold = codes === undefined ? f.threshold[i]! : -FLOAT32_MAX;
        pushNode(a, f.feature[i]!, MODE_LEQ, threshold, index[l]!, lLeaf, index[r]!, rLeaf, f.missingLeft[i]!);
      } else {
        pushNode(a, f.feature[i]!, MODE_MEMBER, 0, index[l]!, lLeaf, index[r]!, rLeaf, f.missingLeft[i]!);
        a.members.push(...codes, NaN);
      }
    }
  }
  return a;
}

function pushNode(
  a: TreeEnsembleAttributes,
  feature: number,
  mode: number,
  split: number,
  t: number,
  tLeaf: number,
  fl: number,
  fLeaf: number,
  missing: number,
): void {
  a.featureIds.push(feature);
  a.modes.push(mode);
  a.splits.push(split);
  a.trueIds.push(t);
  a.trueLeafs.push(tLeaf);
  a.falseIds.push(fl);
  a.falseLeafs.push(fLeaf);
  a.missingTrue.push(missing);
}

function setCodes(bits: Uint32Array, node: number): number[] {
  const codes: number[] = [];
  for (let c = 0; c < 32 * CAT_WORDS; c++) if (((bits[node * CAT_WORDS + (c >>> 5)]! >>> (c & 31)) & 1) === 1) codes.push(c);
  return codes;
}

/** Adds TreeEnsemble and the ops after it on the double features; returns the graph outputs. */
export function addMemberEnsemble(g: GraphParts, model: GbdtModel, features: string): OnnxOutputSpec[] {
  const a = ensembleLists(model);
  const targets = model.baseScores.length;
  const scores = addNode(
    g,
    'TreeEnsemble',
    [features],
    ['/tree_scores'],
    [
      attr.int('aggregate_function', 1),
      attr.int('post_transform', 0),
      attr.int('n_targets', targets),
      attr.ints('tree_roots', a.roots),
      attr.ints('nodes_featureids', a.featureIds),
      attr.bytes('nodes_modes', a.modes),
      attr.doubles('nodes_splits', a.splits),
      attr.ints('nodes_truenodeids', a.trueIds),
      attr.ints('nodes_trueleafs', a.trueLeafs),
      attr.ints('nodes_falsenodeids', a.falseIds),
      attr.ints('nodes_falseleafs', a.falseLeafs),
      attr.ints('nodes_missing_value_tracks_true', a.missingTrue),
      ...(a.members.length > 0 ? [attr.doubles('membership_values', a.members)] : []),
      attr.ints('leaf_targetids', a.leafTargets),
      attr.doubles('leaf_weights', a.leafWeights),
    ],
    ML_DOMAIN,
  );
  const raw = addNode(g, 'Add', [scores, addDoubleConstant(g, '/base_scores', [1, targets], model.baseScores)], ['/raw_scores']);
  const toFloat = (x: string, out: string): string => addNode(g, 'Cast', [x], [out], [attr.int('to', DataType.FLOAT)]);
  if (model.task === 'regression') {
    toFloat(raw, OUTPUT.value);
    return [{ name: OUTPUT.value, type: 'float32', shape: [-1, 1] }];
  }
  const classes = addStringConstant(g, '/class_labels', model.classes);
  let index: string;
  if (model.task === 'binary') {
    const p = addNode(g, 'Sigmoid', [raw], ['/p']);
    const q = addNode(g, 'Sub', [addDoubleConstant(g, '/one', [], [1]), p], ['/q']);
    toFloat(addNode(g, 'Concat', [q, p], ['/probabilities_f64'], [attr.int('axis', 1)]), OUTPUT.probabilities);
    const positive = addNode(g, 'Greater', [raw, addDoubleConstant(g, '/zero', [], [0])], ['/positive']);
    const asInt = addNode(g, 'Cast', [positive], ['/positive_i64'], [attr.int('to', DataType.INT64)]);
    index = addNode(g, 'Reshape', [asInt, addInt64Constant(g, '/flat', [1], [-1])], ['/label_index']);
  } else {
    toFloat(addNode(g, 'Softmax', [raw], ['/probabilities_f64'], [attr.int('axis', 1)]), OUTPUT.probabilities);
    index = addNode(g, 'ArgMax', [raw], ['/label_index'], [attr.int('axis', 1), attr.int('keepdims', 0)]);
  }
  addNode(g, 'Gather', [classes, index], [OUTPUT.label], [attr.int('axis', 0)]);
  return classifierOutputs(model.classes.length);
}
