// Histogram gradient-boosted decision trees (LightGBM / scikit-learn HistGradientBoosting style) on the encoded
// matrix, NaN = missing: binary logistic, multiclass softmax (one tree per class per iteration) and squared-error
// regression; best-first trees over ≤ 255 value bins + 1 missing bin per column; early stopping on a
// validation matrix; resumable from JSON checkpoints.
//
// Split rule, everywhere (training, predictGbdt, the exported ONNX trees): x = f32(value); when x is finite the
// row goes left iff x ≤ threshold (a float32); when x is NaN or ±Infinity (missing) it goes where the node's
// missingLeft says — learned from the training rows with missing values, else the side with more rows.
// Categorical columns (opts.categories) hold codes and split natively by sets of codes: a code in the node's
// set goes left, NaN (missing) by missingLeft, every other value — an unseen code included — right.
//
// fitGbdt is async to start its histogram worker threads and to await onIteration (e.g. a Temporal heartbeat);
// between those awaits the boosting runs synchronously and holds the event loop. Everything is deterministic,
// whatever the thread count: the one random choice (the bin-edge subsample) is seeded by params.seed.
import { binMatrix, fitBinEdges } from './gbdt-binning';
import { checkpointEdges, checkpointOf, dataHash, restoreCheckpoint, type GbdtCheckpoint, type TrainingSetup, type TrainingState } from './gbdt-checkpoint';
import { addTreeScores, forestOf, leafOf, type GbdtTree } from './gbdt-forest';
import { baseScores, scoreColumns, transformScores, type LossTargets } from './gbdt-loss';
import { resolveGbdtParams } from './gbdt-params';
import { checkWeights } from './input-checks';
import { histogramLayout } from './gbdt-histogram';
import { sharedRowBuffers, type RowBuffers } from './gbdt-rows';
import { sharedHistogramBuffers, startHistogramBuilder, type HistogramBuilder } from './gbdt-threads';
import { defaultThreads } from './worker-pool';
import { createTreeGrower, type TreeGrower } from './gbdt-tree';
import { encodingWidth } from '../features/encode';
import { asRowSource, type EncodingPlan, type GbdtModel, type GbdtParams, type Matrix, type RowSource } from './model';

export type { GbdtCheckpoint } from './gbdt-checkpoint';

/** Classification: per row the index into `classes` (distinct, sorted ascending). Regression: per row the value. */
export type GbdtTarget = { labels: Int32Array; classes: string[] } | { targets: Float64Array };

export interface GbdtFitOptions {
  /** Rows for early stopping, encoded with the same plan; labels for classifiers, targets for regression. */
  validation?: { matrix: Matrix; labels?: Int32Array; targets?: Float64Array };
  /** Called after every `checkpointEvery` iterations with a snapshot to resume from; awaited. */
  onIteration?: (checkpoint: GbdtCheckpoint) => void | Promise<void>;
  /** Default 1. */
  checkpointEvery?: number;
  /** Continue from this checkpoint (same data and params): gives the model of an uninterrupted fit. */
  resume?: GbdtCheckpoint;
  /** Threads building histograms (the model does not depend on it). Default: the cores available, at most 4. */
  threads?: number;
  /** One weight ≥ 0 per training row: gradients and hessians are scaled by it (base scores stay unweighted). */
  sampleWeights?: Float64Array;
  /**
   * Per matrix column: 0 for numeric, c in [1, 255] for a categorical column whose values are the codes
   * 0 … c − 1 or NaN (missing). Default: every column numeric.
   */
  categories?: ArrayLike<number>;
}

const WHAT = 'gbdt';

/**
 * `matrix`: the encoded training rows, whole or as a RowSource read a block at a time (encodedRows): the fit
 * keeps only their byte bins, so a source saves the rows × cols float64 matrix. Same rows, same model.
 */
export async function fitGbdt(matrix: Matrix | RowSource, target: GbdtTarget, params: Partial<GbdtParams> = {}, opts: GbdtFitOptions = {}): Promise<GbdtModel> {
  const p = resolveGbdtParams(params);
  checkShape(matrix, 'training matrix');
  const { targets, classes } = trainingTargets(target, matrix.rows);
  const validation = opts.validation === undefined ? undefined : validationTargets(opts.validation, targets, matrix.cols, classes.length);
  const every = opts.checkpointEvery ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`${WHAT}: checkpointEvery is ${every}; it must be an integer ≥ 1`);
  checkWeights(opts.sampleWeights, matrix.rows, WHAT);
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${WHAT}: threads is ${threads}; it must be an integer ≥ 1`);
  const columns = scoreColumns(targets);
  const categories = categoryCounts(opts.categories, matrix.cols);

  const edges =
    opts.resume === undefined ? fitBinEdges(matrix, p.maxBins, p.binSubsample, p.seed, categories) : checkpointEdges(opts.resume, matrix.cols, p.maxBins);
  const binned = binMatrix(matrix, edges, categories);
  const base = baseScores(targets);
  const tracked = opts.onIteration !== undefined || opts.resume !== undefined;
  const data = {
    rows: matrix.rows,
    cols: matrix.cols,
    validationRows: validation?.matrix.rows ?? 0,
    hash: tracked
      ? dataHash([binned, categories, targetBytes(targets), ...(validation ? [validation.matrix.values, targetBytes(validation.targets)] : [])])
      : '',
  };
  const fresh: TrainingSetup = {
    task: targets.task,
    classes,
    params: p,
    data,
    baseScores: base,
    edges,
  };
  const state: TrainingState =
    opts.resume === undefined
      ? { ...fresh, iteration: 0, trees: [], treeClass: [], bestLoss: Infinity, bestIteration: 0 }
      : restoreCheckpoint(opts.resume, fresh, columns);

  // Raw scores, score column k of row r at raw[k · rows + r], with the gradients in shared memory (gbdt-rows.ts).
  const validBins = validation === undefined ? undefined : { ...binMatrix(validation.matrix, edges, categories), targets: validation.targets };
  const rowData = sharedRowBuffers(targets, base, opts.sampleWeights, p.maxLeaves, validBins);
  const raw = rowData.raw;
  const validRaw = validation === undefined ? undefined : rowData.validRaw;
  if (state.trees.length > 0) {
    // A resumed fit: the kept trees' scores, on the training rows a block at a time.
    const rows = asRowSource(matrix);
    for (let r0 = 0; r0 < rows.rows; r0 += RESUME_BLOCK) {
      const n = Math.min(rows.rows, r0 + RESUME_BLOCK) - r0;
      const block = { rows: n, cols: rows.cols, values: rows.block(r0, r0 + n) };
      state.trees.forEach((tree, t) => addTreeScores(tree, block, raw, 1, state.treeClass[t]! * rows.rows + r0));
    }
    if (validation !== undefined && validRaw !== undefined)
      state.trees.forEach((tree, t) => addTreeScores(tree, validation.matrix, validRaw, 1, state.treeClass[t]! * validation.matrix.rows));
  }

  const layout = histogramLayout(binned);
  const buffers = sharedHistogramBuffers(matrix.rows, layout, p.maxLeaves);
  const builder = await startHistogramBuilder(binned, layout, buffers, threads, rowData);
  try {
    const grower = createTreeGrower(binned, edges, p, layout, buffers, builder, categories);
    await boost(state, { validation: validation !== undefined, columns, every, opts, grower, builder, rowData });
  } finally {
    await builder.close();
  }

  const bestIteration = validation === undefined ? state.iteration : state.bestIteration;
  const kept = bestIteration * columns;
  return {
    kind: 'gbdt',
    task: targets.task,
    classes: [...classes],
    width: matrix.cols,
    baseScores: base,
    trees: forestOf(state.trees.slice(0, kept), state.treeClass.slice(0, kept)),
    params: p,
    categories,
    bestIteration,
    iterations: state.iteration,
  };
}

interface BoostRun {
  /** Early stopping on the validation rows of the row buffers. */
  validation: boolean;
  columns: number;
  every: number;
  opts: GbdtFitOptions;
  grower: TreeGrower;
  /** Runs the row passes: gradients from the raw scores, leaf values into them. */
  builder: HistogramBuilder;
  /** The builder's row buffers: the leaf table and the tree tables the passes read. */
  rowData: RowBuffers;
}

/** The boosting loop: from state.iteration to maxIter or early stopping, updating state in place. */
async function boost(state: TrainingState, run: BoostRun): Promise<void> {
  const { validation, columns, every, opts, grower, builder } = run;
  const p = state.params;
  while (state.iteration < p.maxIter) {
    if (validation && state.iteration - state.bestIteration >= p.earlyStoppingRounds) break;
    builder.gradients();
    for (let k = 0; k < columns; k++) {
      const { tree, leaves, nodeBins } = grower.grow(k);
      leaves.forEach((leaf, l) => run.rowData.leaves.set([leaf.from, leaf.to, tree.value[leaf.node]!], 3 * l));
      builder.addLeaves(k, leaves.length);
      if (validation) scoreValidation(builder, run.rowData, tree, nodeBins, k);
      state.trees.push(tree);
      state.treeClass.push(k);
    }
    state.iteration++;
    if (validation) {
      const loss = builder.validationLoss();
      if (loss < state.bestLoss) {
        state.bestLoss = loss;
        state.bestIteration = state.iteration;
      }
    }
    if (opts.onIteration !== undefined && state.iteration % every === 0) await opts.onIteration(checkpointOf(state));
  }
}

/** Adds `tree` to score column k of the validation scores, routing the binned validation rows on the threads. */
function scoreValidation(builder: HistogramBuilder, d: RowBuffers, tree: GbdtTree, nodeBins: Uint8Array, k: number): void {
  const count = tree.feature.length;
  for (let j = 0; j < count; j++) {
    d.nodes[3 * j] = tree.feature[j]!;
    d.nodes[3 * j + 1] = tree.left[j]!;
    d.nodes[3 * j + 2] = tree.right[j]!;
  }
  d.nodeValue.set(tree.value);
  d.nodeBins.set(nodeBins.subarray(0, 256 * count));
  builder.scoreValidation(k);
}

/**
 * Probabilities, rows × classes row-major (binary: [P(classes[0]), P(classes[1])] per row), or for regression
 * one value per row.
 */
export function predictGbdt(model: GbdtModel, matrix: Matrix): Float64Array {
  const raw = predictGbdtRaw(model, matrix);
  const columns = model.baseScores.length;
  if (model.task === 'regression') return raw;
  const out = new Float64Array(matrix.rows * (model.task === 'binary' ? 2 : columns));
  transformScores(model.task, raw, columns, out);
  return out;
}

/** Raw scores, rows × score columns row-major: base score plus the leaf values of every kept tree, in order. */
export function predictGbdtRaw(model: GbdtModel, matrix: Matrix): Float64Array {
  checkShape(matrix, 'prediction matrix', true);
  if (matrix.cols !== model.width) {
    throw new Error(`${WHAT} prediction: the matrix has ${matrix.cols} columns but the model was trained on ${model.width}; encode with the model's plan`);
  }
  const { rows, cols, values } = matrix;
  const forest = model.trees;
  const trees = forest.treeClass.length;
  const columns = model.baseScores.length;
  const out = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const at = r * columns;
    for (let c = 0; c < columns; c++) out[at + c] = model.baseScores[c]!;
    for (let t = 0; t < trees; t++) {
      const k = at + forest.treeClass[t]!;
      out[k] = out[k]! + forest.value[leafOf(forest, forest.treeStart[t]!, values, r * cols)]!;
    }
  }
  return out;
}

/** Summed split gain per matrix column over the kept trees (LightGBM's importance_type="gain"). */
export function gbdtGainImportance(model: GbdtModel): Float64Array {
  const out = new Float64Array(model.width);
  const { feature, gain } = model.trees;
  for (let i = 0; i < feature.length; i++) {
    const f = feature[i]!;
    if (f >= 0) out[f] = out[f]! + gain[i]!;
  }
  return out;
}

/** fitGbdt's `categories` for a matrix encoded with `plan`: the code count of each category column, else 0. */
export function planCategories(plan: EncodingPlan): Int32Array {
  const out = new Int32Array(plan.width);
  let at = 0;
  for (const enc of plan.columns) {
    // Codes 0 … k − 1 for the kept categories and k for "other".
    if (enc.kind === 'category') out[at] = enc.categories.length + 1;
    at += encodingWidth(enc);
  }
  return out;
}

// ---- input checks --------------------------------------------------------------------------------------

function categoryCounts(categories: ArrayLike<number> | undefined, cols: number): Int32Array {
  if (categories === undefined) return new Int32Array(cols);
  if (categories.length !== cols)
    throw new Error(`${WHAT}: categories has ${categories.length} entries for ${cols} matrix columns; give one per column (0 = numeric)`);
  const out = new Int32Array(cols);
  for (let f = 0; f < cols; f++) {
    const c = categories[f]!;
    if (!Number.isInteger(c) || c < 0 || c > 255) throw new Error(`${WHAT}: categories[${f}] is ${c}; it must be 0 (numeric) or a code count in [1, 255]`);
    out[f] = c;
  }
  return out;
}

const RESUME_BLOCK = 8192;

function checkShape(matrix: Matrix | RowSource, what: string, allowEmpty = false): void {
  const { rows, cols } = matrix;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new Error(`${WHAT}: ${what}: rows (${rows}) and cols (${cols}) must be non-negative integers`);
  }
  if (rows === 0 && !allowEmpty) throw new Error(`${WHAT}: the ${what} is empty (0 rows); there is nothing to fit`);
  if (cols === 0) throw new Error(`${WHAT}: the ${what} has no columns; encode at least one feature`);
  if ('values' in matrix && matrix.values.length !== rows * cols)
    throw new Error(`${WHAT}: ${what}: values has length ${matrix.values.length} but rows × cols = ${rows * cols}`);
}

function trainingTargets(target: GbdtTarget, rows: number): { targets: LossTargets; classes: string[] } {
  if ('targets' in target) {
    checkValues(target.targets, rows, 'targets');
    return { targets: { task: 'regression', targets: target.targets }, classes: [] };
  }
  const { labels, classes } = target;
  if (classes.length < 2)
    throw new Error(`${WHAT}: a classifier needs at least two classes, got ${classes.length} (${classes.map((c) => `'${c}'`).join(', ')})`);
  for (let i = 1; i < classes.length; i++) {
    if (!(classes[i - 1]! < classes[i]!)) {
      throw new Error(`${WHAT}: classes must be distinct and sorted ascending, but '${classes[i - 1]}' comes before '${classes[i]}'`);
    }
  }
  checkLabels(labels, rows, classes.length, 'labels');
  const counts = new Int32Array(classes.length);
  for (let r = 0; r < rows; r++) counts[labels[r]!] = counts[labels[r]!]! + 1;
  const present = classes.filter((_, c) => counts[c]! > 0);
  if (present.length === 1) throw new Error(`${WHAT}: the labels hold a single class ('${present[0]}'); a classifier needs rows of at least two classes`);
  const missing = classes.filter((_, c) => counts[c] === 0);
  if (missing.length > 0) {
    throw new Error(`${WHAT}: class(es) ${missing.map((c) => `'${c}'`).join(', ')} have no training rows; drop them from the class list or add rows of them`);
  }
  const task = classes.length === 2 ? 'binary' : 'multiclass';
  return { targets: { task, labels, classes: classes.length }, classes: [...classes] };
}

function validationTargets(
  v: NonNullable<GbdtFitOptions['validation']>,
  training: LossTargets,
  cols: number,
  classes: number,
): { matrix: Matrix; targets: LossTargets } {
  checkShape(v.matrix, 'validation matrix');
  if (v.matrix.cols !== cols)
    throw new Error(`${WHAT}: the validation matrix has ${v.matrix.cols} columns, the training matrix ${cols}; encode both with one plan`);
  if (training.task === 'regression') {
    if (v.targets === undefined) throw new Error(`${WHAT}: validation.targets is missing; a regression validation set needs one target per row`);
    checkValues(v.targets, v.matrix.rows, 'validation.targets');
    return { matrix: v.matrix, targets: { task: 'regression', targets: v.targets } };
  }
  if (v.labels === undefined) throw new Error(`${WHAT}: validation.labels is missing; a classifier's validation set needs one label per row`);
  checkLabels(v.labels, v.matrix.rows, classes, 'validation.labels');
  return { matrix: v.matrix, targets: { task: training.task, labels: v.labels, classes } };
}

function checkLabels(labels: Int32Array, rows: number, classes: number, what: string): void {
  if (labels.length !== rows) throw new Error(`${WHAT}: ${labels.length} ${what} for ${rows} matrix rows; give one per row`);
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    if (y < 0 || y >= classes) throw new Error(`${WHAT}: ${what} of row ${r} is ${y}; labels must be class indices in [0, ${classes - 1}]`);
  }
}

function checkValues(values: Float64Array, rows: number, what: string): void {
  if (values.length !== rows) throw new Error(`${WHAT}: ${values.length} ${what} for ${rows} matrix rows; give one per row`);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(values[r]!)) throw new Error(`${WHAT}: ${what} of row ${r} is ${values[r]}; regression targets must be finite`);
  }
}

function targetBytes(t: LossTargets): Int32Array | Float64Array {
  return t.task === 'regression' ? t.targets : t.labels;
}
