// Checks on what the trainers and predictors are given: a finite matrix of the stated shape, labels or targets
// one per row, optional sample weights. Errors name the rule, the row and the column so the caller can fix
// the encoder or the data, not guess.
import type { Matrix } from './model';

/** Throws unless `matrix` has rows > 0 (when `allowEmpty` is false), a consistent length and only finite values. */
export function checkMatrix(matrix: Matrix, what: string, allowEmpty = false): void {
  const { rows, cols, values } = matrix;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new Error(`${what}: rows (${rows}) and cols (${cols}) must be non-negative integers`);
  }
  if (rows === 0 && !allowEmpty) throw new Error(`${what}: the matrix is empty (0 rows); there is nothing to fit`);
  if (values.length !== rows * cols) {
    throw new Error(`${what}: values has length ${values.length} but rows × cols = ${rows} × ${cols} = ${rows * cols}`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const row = Math.floor(i / cols);
      throw new Error(
        `${what}: the matrix must be finite, but row ${row}, column ${i - row * cols} is ${values[i]}; ` +
          'impute missing values and encode categoricals before fitting',
      );
    }
  }
}

/** Throws unless `matrix.cols` is the model's width. */
export function checkWidth(matrix: Matrix, width: number, what: string): void {
  if (matrix.cols !== width) {
    throw new Error(`${what}: the matrix has ${matrix.cols} columns but the model was trained on ${width}; encode with the model's plan`);
  }
}

/** Throws unless `weights` (when given) has one finite, non-negative value per row and a positive sum; returns the sum. */
export function checkWeights(weights: Float64Array | undefined, rows: number, what: string): number {
  if (weights === undefined) return rows;
  if (weights.length !== rows) throw new Error(`${what}: ${weights.length} sample weights for ${rows} rows; give one weight per row`);
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) throw new Error(`${what}: sample weight of row ${i} is ${w}; weights must be finite and ≥ 0`);
    sum += w;
  }
  if (!(sum > 0)) throw new Error(`${what}: the sample weights sum to 0; at least one row must carry weight`);
  return sum;
}

/** Throws unless `labels` has one class index in [0, classes) per row. */
export function checkLabels(labels: Int32Array, rows: number, classes: number, what: string): void {
  if (labels.length !== rows) throw new Error(`${what}: ${labels.length} labels for ${rows} matrix rows; give one label per row`);
  for (let i = 0; i < rows; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= classes) throw new Error(`${what}: label of row ${i} is ${y}; labels must be class indices in [0, ${classes - 1}]`);
  }
}

/** Throws unless `l2` is a finite number ≥ 0 (> 0 when `positive`). */
export function checkL2(l2: number, what: string, positive: boolean): void {
  if (!Number.isFinite(l2) || l2 < 0 || (positive && l2 === 0)) {
    throw new Error(`${what}: l2 is ${l2}; it must be a finite number ${positive ? '> 0' : '≥ 0'}`);
  }
}
