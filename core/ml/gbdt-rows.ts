// The per-row passes of a boosting iteration, over one range of rows so that gbdt-threads.ts can share them out:
// gradients and hessians from the raw scores, the root node's float32 gradients and their sums, the grown
// tree's leaf values added to the raw scores, the tree's values added to the validation rows' scores, and the
// validation loss. Each row is computed on its own and each sum runs over fixed
// blocks of rows, so any way of cutting the rows into ranges gives the same bits.
//
// Self-contained on purpose (no outer names): gbdt-threads.ts runs these functions' source in worker threads.

/** Rows per block of the root's sums: ranges handed to threads start on a multiple of it. */
export const ROOT_BLOCK = 1 << 14;

/** Loss codes of the kernels. */
export const TASK_CODE = { regression: 0, binary: 1, multiclass: 2 } as const;

/**
 * Gradients and hessians (score column k of row r at k · n + r, `classes` columns for multiclass, else one) of
 * rows [from, to) for the raw scores, scaled by the row weights when `weights` is not empty. `labels` are the
 * class indices (classifiers), `targets` the values (regression). The loss formulas are gbdt-loss.ts's.
 */
export function gradientRows(
  task: number,
  classes: number,
  labels: Int32Array,
  targets: Float64Array,
  weights: Float64Array,
  raw: Float64Array,
  grad: Float64Array,
  hess: Float64Array,
  n: number,
  from: number,
  to: number,
): void {
  if (task === 0) {
    for (let r = from; r < to; r++) {
      grad[r] = raw[r]! - targets[r]!;
      hess[r] = 1;
    }
  } else if (task === 1) {
    for (let r = from; r < to; r++) {
      const p = 1 / (1 + Math.exp(-raw[r]!));
      grad[r] = p - labels[r]!;
      hess[r] = p * (1 - p);
    }
  } else {
    for (let r = from; r < to; r++) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, raw[c * n + r]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const e = Math.exp(raw[c * n + r]! - max);
        grad[c * n + r] = e;
        sum += e;
      }
      for (let c = 0; c < classes; c++) {
        const p = grad[c * n + r]! / sum;
        grad[c * n + r] = p - (labels[r] === c ? 1 : 0);
        hess[c * n + r] = p * (1 - p);
      }
    }
  }
  if (weights.length === 0) return;
  const columns = task === 2 ? classes : 1;
  for (let c = 0; c < columns; c++) {
    for (let r = from; r < to; r++) {
      grad[c * n + r]! *= weights[r]!;
      hess[c * n + r]! *= weights[r]!;
    }
  }
}

/**
 * The root node of score column k's tree over rows [from, to) (from a multiple of `block`): idx[r] = r and the
 * float32 gradients og / oh the histograms add up; the sums of og and oh over each block of `block` rows go to
 * blockSums[2b], blockSums[2b + 1] (b = the block's first row / block).
 */
export function rootRows(
  grad: Float64Array,
  hess: Float64Array,
  offset: number,
  idx: Int32Array,
  og: Float32Array,
  oh: Float32Array,
  blockSums: Float64Array,
  block: number,
  from: number,
  to: number,
): void {
  for (let b0 = from; b0 < to; b0 += block) {
    const b1 = Math.min(to, b0 + block);
    let g = 0;
    let h = 0;
    for (let r = b0; r < b1; r++) {
      const x = Math.fround(grad[offset + r]!);
      const y = Math.fround(hess[offset + r]!);
      idx[r] = r;
      og[r] = x;
      oh[r] = y;
      g += x;
      h += y;
    }
    const at = 2 * Math.floor(b0 / block);
    blockSums[at] = g;
    blockSums[at + 1] = h;
  }
}

/**
 * raw[offset + idx[i]] += the value of the leaf holding position i, for positions [from, to). `leaves` holds
 * `count` leaves as [from, to, value] triples, in position order, covering the rows.
 */
export function addLeafRows(raw: Float64Array, offset: number, idx: Int32Array, leaves: Float64Array, count: number, from: number, to: number): void {
  for (let l = 0; l < count; l++) {
    const a = Math.max(from, leaves[3 * l]!);
    const b = Math.min(to, leaves[3 * l + 1]!);
    const v = leaves[3 * l + 2]!;
    for (let i = a; i < b; i++) {
      const at = offset + idx[i]!;
      raw[at] = raw[at]! + v;
    }
  }
}

/**
 * Validation rows [from, to) of the column-major `bins` (`rows` per column, binned with the training edges):
 * out[offset + r] += the value of the leaf the row reaches. Node j of the tree: nodes[3j] its column (−1 for a
 * leaf), nodes[3j + 1] and nodes[3j + 2] its children, nodeBins[256j + b] = 1 when bin b goes left (the table
 * the training rows were partitioned by; "bin ≤ b" ⇔ "f32(x) ≤ threshold", so it routes as the tree does).
 */
export function scoreBinnedRows(
  bins: Uint8Array,
  rows: number,
  nodes: Int32Array,
  nodeBins: Uint8Array,
  value: Float64Array,
  out: Float64Array,
  offset: number,
  from: number,
  to: number,
): void {
  for (let r = from; r < to; r++) {
    let j = 0;
    for (let f = nodes[0]!; f >= 0; f = nodes[3 * j]!) j = nodes[3 * j + 2 - nodeBins[256 * j + bins[f * rows + r]!]!]!;
    out[offset + r] = out[offset + r]! + value[j]!;
  }
}

/**
 * The validation loss of rows [from, to) (from a multiple of `block`), summed over each block of `block` rows
 * into blockSums[b]: squared error, logistic loss or softmax cross-entropy as in gbdt-loss.ts.
 */
export function lossRows(
  task: number,
  classes: number,
  labels: Int32Array,
  targets: Float64Array,
  raw: Float64Array,
  n: number,
  blockSums: Float64Array,
  block: number,
  from: number,
  to: number,
): void {
  for (let b0 = from; b0 < to; b0 += block) {
    const b1 = Math.min(to, b0 + block);
    let total = 0;
    for (let r = b0; r < b1; r++) {
      if (task === 0) {
        total += (raw[r]! - targets[r]!) ** 2;
      } else if (task === 1) {
        // log(1 + e^−s) for y = 1, log(1 + e^s) for y = 0, stable for large |s|
        const x = labels[r] === 1 ? -raw[r]! : raw[r]!;
        total += x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
      } else {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, raw[c * n + r]!);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(raw[c * n + r]! - max);
        total += max + Math.log(sum) - raw[labels[r]! * n + r]!;
      }
    }
    blockSums[Math.floor(b0 / block)] = total;
  }
}

/** What the row passes read and write, in shared memory so that worker threads work on it in place. */
export interface RowBuffers {
  /** TASK_CODE of the loss. */
  task: number;
  classes: number;
  /** Training rows. */
  n: number;
  labels: Int32Array;
  targets: Float64Array;
  /** Empty when the rows are not weighted. */
  weights: Float64Array;
  /** Raw scores, score column k of row r at k · n + r; starts at the base scores. */
  raw: Float64Array;
  grad: Float64Array;
  hess: Float64Array;
  /** [from, to, value] per leaf of the tree just grown. */
  leaves: Float64Array;
  /** Per ROOT_BLOCK rows: the sums of og and oh. */
  blockSums: Float64Array;
  /** Validation rows (0 without a validation set), binned column-major with the training edges. */
  validRows: number;
  validBins: Uint8Array;
  /** Validation raw scores, laid out as `raw`; starts at the base scores. */
  validRaw: Float64Array;
  validLabels: Int32Array;
  validTargets: Float64Array;
  /** Per ROOT_BLOCK validation rows: their summed loss. */
  validLoss: Float64Array;
  /** The tree just grown, as scoreBinnedRows reads it: [column, left, right] per node, values, left-bin tables. */
  nodes: Int32Array;
  nodeValue: Float64Array;
  nodeBins: Uint8Array;
}

type Targets = { task: 'binary' | 'multiclass'; labels: Int32Array; classes: number } | { task: 'regression'; targets: Float64Array };

/** Row buffers for training targets `t`, and a validation set binned with the training edges. */
export function sharedRowBuffers(
  t: Targets,
  base: Float64Array,
  weights: Float64Array | undefined,
  maxLeaves: number,
  valid?: { rows: number; bins: Uint8Array; targets: Targets },
): RowBuffers {
  const f64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * n));
  const shared = <T extends Float64Array | Int32Array>(a: T): T => {
    const out = (a instanceof Float64Array ? f64(a.length) : new Int32Array(new SharedArrayBuffer(4 * a.length))) as T;
    out.set(a);
    return out;
  };
  const n = t.task === 'regression' ? t.targets.length : t.labels.length;
  const columns = base.length;
  const scores = (rows: number): Float64Array => {
    const out = f64(columns * rows);
    base.forEach((b, k) => out.fill(b, k * rows, (k + 1) * rows));
    return out;
  };
  const maxNodes = 2 * maxLeaves - 1;
  return {
    task: TASK_CODE[t.task],
    classes: t.task === 'regression' ? 1 : t.classes,
    n,
    labels: t.task === 'regression' ? new Int32Array(0) : shared(t.labels),
    targets: t.task === 'regression' ? shared(t.targets) : new Float64Array(0),
    weights: weights === undefined ? new Float64Array(0) : shared(weights),
    raw: scores(n),
    grad: f64(columns * n),
    hess: f64(columns * n),
    leaves: f64(3 * maxLeaves),
    blockSums: f64(2 * Math.ceil(n / ROOT_BLOCK)),
    validRows: valid?.rows ?? 0,
    validBins: valid?.bins ?? new Uint8Array(0),
    validRaw: scores(valid?.rows ?? 0),
    validLabels: valid?.targets.task !== 'regression' && valid !== undefined ? shared(valid.targets.labels) : new Int32Array(0),
    validTargets: valid?.targets.task === 'regression' ? shared(valid.targets.targets) : new Float64Array(0),
    validLoss: f64(Math.ceil((valid?.rows ?? 0) / ROOT_BLOCK)),
    nodes: new Int32Array(new SharedArrayBuffer(4 * 3 * maxNodes)),
    nodeValue: f64(maxNodes),
    nodeBins: new Uint8Array(new SharedArrayBuffer(256 * maxNodes)),
  };
}
