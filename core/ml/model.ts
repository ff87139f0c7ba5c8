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
  | { kind: 'ordinal'; input: string; categories: string[]; impute: number; mean: number; scale: number };

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
