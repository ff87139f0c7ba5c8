// The trained-model types shared by the trainers (core/ml), the encoders (core/features/encode.ts) and the
// ONNX exporter (core/onnx). A model works on the encoded matrix: rows × `width` float64 values, row-major.

/** How one raw feature column becomes model-matrix columns. Applied in spec order; widths add up. */
export type ColumnEncoding =
  /** Numeric: missing/NaN/±Infinity → `impute` (the training mean), then (x − mean) / scale. Width 1. */
  | { kind: 'numeric'; input: string; impute: number; mean: number; scale: number }
  /**
   * Categorical one-hot over `categories` (the top-k training values, sorted); with `other: true` one extra
   * column is 1 for any value not in the list and for missing values. Width = categories.length + (other ? 1 : 0).
   */
  | { kind: 'onehot'; input: string; categories: string[]; other: boolean }
  /** Categorical ordinal: index of the value in `categories`, −1 → `impute` for unknown/missing, then scaled like numeric. Width 1. */
  | { kind: 'ordinal'; input: string; categories: string[]; impute: number; mean: number; scale: number }
  /**
   * Numeric as is, for tree models: the value rounded to float32; NaN, ±Infinity and values beyond float32
   * range become NaN (missing), which the trees route by their learned missing-value direction. Width 1.
   */
  | { kind: 'passthrough'; input: string }
  /**
   * Categorical as a native category code, for tree models: the index of the value in `categories` (the
   * training values with enough rows, sorted); any other value (rare in training, or unseen) is the "other"
   * code categories.length; missing values are NaN. Trees split such a column by sets of codes. Width 1.
   */
  | { kind: 'category'; input: string; categories: string[] };

export interface EncodingPlan {
  columns: ColumnEncoding[];
  /** Total model-matrix width. */
  width: number;
}

/** Encoded training data: row-major matrix plus labels. */
export interface Matrix {
  rows: number;
  cols: number;
  /** row-major, length rows × cols */
  values: Float64Array;
}

/** An encoded matrix read a block of rows at a time, never held whole (core/features/encode.ts encodedRows). */
export interface RowSource {
  rows: number;
  cols: number;
  /** Rows [r0, r1), row-major; valid until the next call. */
  block(r0: number, r1: number): Float64Array;
  /** The rows at `positions` (ascending indices in 0 … rows − 1), row-major, in a new array. */
  gather(positions: Int32Array): Float64Array;
}

/** A matrix or a row source, as a row source. */
export const asRowSource = (m: Matrix | RowSource): RowSource => ('values' in m ? matrixRows(m) : m);

/** A matrix as a row source: blocks are views of its values. */
export function matrixRows(m: Matrix): RowSource {
  const { rows, cols, values } = m;
  return {
    rows,
    cols,
    block: (r0, r1) => values.subarray(r0 * cols, r1 * cols),
    gather(positions) {
      const out = new Float64Array(positions.length * cols);
      positions.forEach((p, i) => out.set(values.subarray(p * cols, (p + 1) * cols), i * cols));
      return out;
    },
  };
}

export type LinearModel =
  | {
      kind: 'logistic';
      /** Class labels as strings, sorted; binary = 2 classes, multinomial = more. */
      classes: string[];
      /**
       * Binary: 1 row of `width` coefficients for the positive class (classes[1]) and 1 intercept.
       * Multinomial: classes.length rows (row-major) and classes.length intercepts (softmax).
       */
      coefficients: Float64Array;
      intercepts: Float64Array;
      width: number;
      params: { l2: number; maxIter: number; tol: number; iterations: number; converged: boolean };
    }
  | {
      kind: 'ridge';
      coefficients: Float64Array;
      intercept: number;
      width: number;
      params: { l2: number };
    };

/** Training settings of a histogram gradient-boosted tree ensemble (core/ml/gbdt.ts). */
export interface GbdtParams {
  /** Boosting iterations (one tree per iteration; one per class per iteration for multiclass). */
  maxIter: number;
  /** Shrinkage applied to every leaf value. */
  learningRate: number;
  /** Leaves per tree; trees grow best-first (leaf-wise) up to this many. */
  maxLeaves: number;
  /** Depth limit (root = depth 0); null = no limit beyond maxLeaves. */
  maxDepth: number | null;
  /** Fewest training rows in a leaf. */
  minSamplesLeaf: number;
  /** Smallest hessian sum in a leaf (LightGBM's min_sum_hessian_in_leaf). */
  minHessianLeaf: number;
  /** L2 penalty λ on the leaf values. */
  l2: number;
  /** Value bins per column (≤ 255); one more bin holds the missing values. */
  maxBins: number;
  /** Rows sampled (seeded) to place the bin edges. */
  binSubsample: number;
  /** Stop when the validation loss has not improved for this many iterations (only with a validation set). */
  earlyStoppingRounds: number;
  /** Seed of the bin-edge subsample, the only random choice in training. */
  seed: number;
  /** Categorical columns: a category (or the missing values) with fewer rows in a node stays out of its split's set. */
  minCategoryRows: number;
  /** Categorical columns: categories are ordered by G / (H + categorySmoothing) before the scan for a split. */
  categorySmoothing: number;
  /** Categorical columns: the most categories one split sends left. */
  maxCategoriesPerSplit: number;
}

/**
 * The trees of a GBDT as flat arrays, one entry per node. Tree t holds nodes [treeStart[t], treeStart[t + 1]);
 * within a tree nodes are numbered from 0 (the root) and children point at those local numbers.
 * Split rule, numeric nodes: a row goes left when f32(x[feature]) ≤ threshold, or, when f32(x) is not finite
 * (missing), when missingLeft is 1. Categorical nodes (categorical = 1): a row goes left when x is NaN (missing)
 * and missingLeft is 1, or when x is a code whose bit is set in the node's catBits; any other value (a code not
 * in the set, an unseen "other" code, ±Infinity, a non-integer) goes right.
 */
export interface GbdtForest {
  /** Length trees + 1. */
  treeStart: Int32Array;
  /** Per tree: the score column it adds to (the class for multiclass; 0 otherwise). */
  treeClass: Int32Array;
  /** Per node: matrix column split on, −1 for a leaf. */
  feature: Int32Array;
  /** Per node: a float32 value (stored as a double); 0 for leaves. */
  threshold: Float64Array;
  missingLeft: Uint8Array;
  /** Per node: local index of the left / right child, −1 for leaves. */
  left: Int32Array;
  right: Int32Array;
  /** Per leaf: its contribution to the raw score, learning rate applied, a float32 value; 0 for splits. */
  value: Float64Array;
  /** Per split: its gain (loss reduction as in the split rule); 0 for leaves. */
  gain: Float64Array;
  /** Per node: training rows that reached it. */
  count: Int32Array;
  /** Per node: 1 for a split on a set of category codes, else 0. */
  categorical: Uint8Array;
  /** Per node: 8 words (CAT_WORDS), bit c of the set = code c goes left; all 0 for numeric splits and leaves. */
  catBits: Uint32Array;
}

/** Words of one categorical split's code set: codes 0 … 255. */
export const CAT_WORDS = 8;

export interface GbdtModel {
  kind: 'gbdt';
  task: 'binary' | 'multiclass' | 'regression';
  /** Class labels, sorted (empty for regression). Binary trees score classes[1]. */
  classes: string[];
  width: number;
  /**
   * Raw score before any tree, float32 values: binary [prior log-odds of classes[1]], multiclass [log prior
   * per class], regression [mean target].
   */
  baseScores: Float64Array;
  /** Trees of the kept iterations; multiclass iterations hold one tree per class, in class order. */
  trees: GbdtForest;
  params: GbdtParams;
  /** Per matrix column: 0 for numeric, c > 0 for a categorical column of codes 0 … c − 1. */
  categories: Int32Array;
  /** Iterations kept (the best validation iteration with early stopping, else all run). */
  bestIteration: number;
  /** Iterations run before stopping. */
  iterations: number;
}
