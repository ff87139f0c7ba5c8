// The L2-regularized logistic objective on a LinearDesign (same objective and parameter layout as
// logistic-loss.ts: binary θ = [w (D), b], multinomial θ = [W (K×D row-major), b (K)]; f = F / Σ weights).
// A pass runs over fixed chunks of rows; each chunk's sums are added to the totals in chunk order, so the
// result is the same bits however the chunks are shared out over threads (linear-threads.ts).
import { CHUNK_ROWS, type LinearDesign } from './linear-design';

export interface DesignProblem {
  design: LinearDesign;
  /** Class index per row (binary: 0/1). */
  labels: Int32Array;
  weights: Float64Array | undefined;
  /** Σ weights (rows when unweighted). */
  weightSum: number;
  l2: number;
}

export type PassKind = 'binary' | 'multinomial' | 'hessian';

/**
 * One pass over the rows: the partial sums of every chunk, chunk after chunk (chunks × partialLength values).
 * localPass computes them on the calling thread; linear-threads.ts shares the chunks out over threads.
 */
export type ChunkPass = (kind: PassKind, theta: Float64Array, classes: number) => Float64Array;

/** Rows whose Hessian terms are summed apart (a (D+1)² partial each, so fewer, larger chunks than the gradient's). */
export const HESSIAN_CHUNK_ROWS = 1 << 19;

/** Partial-sum length of one chunk: [loss, gradient], or the (D+1)² Hessian block. */
export function partialLength(width: number, kind: PassKind, classes: number): number {
  if (kind === 'hessian') return (width + 1) * (width + 1);
  return 1 + (kind === 'binary' ? 1 : classes) * (width + 1);
}

export function chunkRows(kind: PassKind): number {
  return kind === 'hessian' ? HESSIAN_CHUNK_ROWS : CHUNK_ROWS;
}

/** Computes chunks [first, last) of a pass into `out` (chunk c at c × len). */
export function runChunks(p: DesignProblem, kind: PassKind, theta: Float64Array, classes: number, first: number, last: number, out: Float64Array): void {
  const len = partialLength(p.design.width, kind, classes);
  const size = chunkRows(kind);
  for (let c = first; c < last; c++) {
    const from = c * size;
    const to = Math.min(p.design.rows, from + size);
    const part = out.subarray(c * len, (c + 1) * len);
    if (kind === 'binary') binaryChunk(p, theta, from, to, part);
    else if (kind === 'multinomial') multinomialChunk(p, theta, from, to, classes, part);
    else hessianChunk(p, theta, from, to, part);
  }
}

/** The single-thread pass: every chunk on the calling thread. */
export function localPass(p: DesignProblem): ChunkPass {
  return (kind, theta, classes) => {
    const chunks = Math.ceil(p.design.rows / chunkRows(kind));
    const out = new Float64Array(chunks * partialLength(p.design.width, kind, classes));
    runChunks(p, kind, theta, classes, 0, chunks, out);
    return out;
  };
}

/** Sums the chunk partials in chunk order. */
export function combine(partials: Float64Array, len: number): Float64Array {
  const total = new Float64Array(len);
  for (let at = 0; at < partials.length; at += len) for (let i = 0; i < len; i++) total[i] = total[i]! + partials[at + i]!;
  return total;
}

/** One chunk of the binary pass: out = [loss, ∇ (width + 1)]. */
export function binaryChunk(p: DesignProblem, theta: Float64Array, from: number, to: number, out: Float64Array): void {
  const { design, labels, weights } = p;
  const { width, denseCols, dense, blocks, hot } = design;
  const nd = denseCols.length;
  const g = 1;
  out.fill(0);
  const wd = new Float64Array(nd);
  for (let j = 0; j < nd; j++) wd[j] = theta[denseCols[j]!]!;
  const gd = new Float64Array(nd);
  const b = theta[width]!;
  let loss = 0;
  let gb = 0;
  for (let r = from; r < to; r++) {
    const o = r * nd;
    const oh = r * blocks;
    let z = b;
    for (let j = 0; j < nd; j++) z += wd[j]! * dense[o + j]!;
    for (let k = 0; k < blocks; k++) {
      const c = hot[oh + k]!;
      if (c >= 0) z += theta[c]!;
    }
    const s = weights === undefined ? 1 : weights[r]!;
    const y = labels[r]!;
    // One exp per row: e = exp(−|z|) gives both log(1 + eᶻ) and the sigmoid.
    const e = Math.exp(-Math.abs(z));
    const prob = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    loss += s === 0 ? 0 : s * ((z > 0 ? z : 0) + Math.log1p(e) - y * z);
    const res = s * (prob - y);
    gb += res;
    for (let j = 0; j < nd; j++) gd[j] = gd[j]! + res * dense[o + j]!;
    for (let k = 0; k < blocks; k++) {
      const c = hot[oh + k]!;
      if (c >= 0) out[g + c] = out[g + c]! + res;
    }
  }
  out[0] = loss;
  out[g + width] = gb;
  for (let j = 0; j < nd; j++) out[g + denseCols[j]!] = out[g + denseCols[j]!]! + gd[j]!;
}

/** One chunk of the multinomial pass: out = [loss, ∇ (K × width, then K intercepts)]. */
export function multinomialChunk(p: DesignProblem, theta: Float64Array, from: number, to: number, k: number, out: Float64Array): void {
  const { design, labels, weights } = p;
  const { width, denseCols, dense, blocks, hot } = design;
  const nd = denseCols.length;
  const biasAt = 1 + k * width;
  out.fill(0);
  const wd = new Float64Array(k * nd);
  for (let c = 0; c < k; c++) for (let j = 0; j < nd; j++) wd[c * nd + j] = theta[c * width + denseCols[j]!]!;
  const gd = new Float64Array(k * nd);
  const z = new Float64Array(k);
  let loss = 0;
  for (let r = from; r < to; r++) {
    const o = r * nd;
    const oh = r * blocks;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let v = theta[k * width + c]!;
      const w = c * nd;
      for (let j = 0; j < nd; j++) v += wd[w + j]! * dense[o + j]!;
      const base = c * width;
      for (let q = 0; q < blocks; q++) {
        const col = hot[oh + q]!;
        if (col >= 0) v += theta[base + col]!;
      }
      z[c] = v;
      if (v > max) max = v;
    }
    const s = weights === undefined ? 1 : weights[r]!;
    const y = labels[r]!;
    const zy = z[y]!;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[c]! - max);
      z[c] = e;
      sum += e;
    }
    loss += s === 0 ? 0 : s * (max + Math.log(sum) - zy);
    for (let c = 0; c < k; c++) {
      const res = s * (z[c]! / sum - (c === y ? 1 : 0));
      out[biasAt + c] = out[biasAt + c]! + res;
      const w = c * nd;
      for (let j = 0; j < nd; j++) gd[w + j] = gd[w + j]! + res * dense[o + j]!;
      const base = 1 + c * width;
      for (let q = 0; q < blocks; q++) {
        const col = hot[oh + q]!;
        if (col >= 0) out[base + col] = out[base + col]! + res;
      }
    }
  }
  out[0] = loss;
  for (let c = 0; c < k; c++) for (let j = 0; j < nd; j++) out[1 + c * width + denseCols[j]!] = out[1 + c * width + denseCols[j]!]! + gd[c * nd + j]!;
}

/** Binary objective f(θ); writes ∇f into `grad`. */
export function binaryDesignObjective(p: DesignProblem, pass: ChunkPass, theta: Float64Array, grad: Float64Array): number {
  const total = combine(pass('binary', theta, 2), partialLength(p.design.width, 'binary', 2));
  grad.set(total.subarray(1));
  return finish(p, theta, grad, total[0]!, 1);
}

/**
 * The lower triangle of the binary objective's (D+1)×(D+1) Hessian at θ, exact: each row adds its
 * (nonzeros)² / 2 products, not D². (A Hessian from a subsample of rows misjudges rare one-hot columns, and
 * raising its diagonal breaks the exact null direction one-hot blocks share with the intercept, which then
 * converges only linearly at small l2.)
 */
export function binaryDesignHessian(p: DesignProblem, pass: ChunkPass, theta: Float64Array, hessian: Float64Array): void {
  const { design } = p;
  const n1 = design.width + 1;
  hessian.set(combine(pass('hessian', theta, 2), n1 * n1));
  const inv = 1 / p.weightSum;
  const lambda = p.l2 * inv;
  for (let i = 0; i < hessian.length; i++) hessian[i] = hessian[i]! * inv;
  for (let i = 0; i < design.width; i++) hessian[i * n1 + i] = hessian[i * n1 + i]! + lambda;
}

/** Multinomial objective f(θ) over K classes; writes ∇f into `grad`. */
export function multinomialDesignObjective(p: DesignProblem, pass: ChunkPass, theta: Float64Array, grad: Float64Array, k: number): number {
  const total = combine(pass('multinomial', theta, k), partialLength(p.design.width, 'multinomial', k));
  grad.set(total.subarray(1));
  return finish(p, theta, grad, total[0]!, k);
}

/**
 * The curvature of rows [from, to) into the lower triangle of `out` (zeroed first). Each product goes to one
 * fixed cell of the pair (dense × dense and one-hot × one-hot already below the diagonal, since columns increase
 * within each kind; one-hot × dense in the one-hot column's row), and cells that land above the diagonal are
 * folded below it at the end. One-hot terms are the curvature itself: no multiplications, no value loads.
 * Self-contained (worker threads run it from its source): no imports.
 */
export function hessianChunk(p: DesignProblem, theta: Float64Array, from: number, to: number, out: Float64Array): void {
  const { design, weights } = p;
  const { width, denseCols, dense, blocks, hot } = design;
  const nd = denseCols.length;
  const n1 = width + 1;
  const bias = width * n1;
  out.fill(0);
  const wd = new Float64Array(nd);
  for (let j = 0; j < nd; j++) wd[j] = theta[denseCols[j]!]!;
  const cx = new Float64Array(nd);
  const hs = new Int32Array(blocks);
  for (let r = from; r < to; r++) {
    const s = weights === undefined ? 1 : weights[r]!;
    if (s === 0) continue;
    const o = r * nd;
    let z = theta[width]!;
    for (let j = 0; j < nd; j++) z += wd[j]! * dense[o + j]!;
    let nh = 0;
    for (let q = 0; q < blocks; q++) {
      const c = hot[r * blocks + q]!;
      if (c < 0) continue;
      z += theta[c]!;
      hs[nh++] = c;
    }
    const e = Math.exp(-Math.abs(z));
    const prob = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    const cur = s * prob * (1 - prob);
    out[bias + width] = out[bias + width]! + cur;
    for (let a = 0; a < nd; a++) {
      const x = dense[o + a]!;
      const v = cur * x;
      cx[a] = v;
      const row = denseCols[a]! * n1;
      out[bias + denseCols[a]!] = out[bias + denseCols[a]!]! + v;
      for (let b = 0; b <= a; b++) out[row + denseCols[b]!] = out[row + denseCols[b]!]! + v * dense[o + b]!;
    }
    for (let a = 0; a < nh; a++) {
      const row = hs[a]! * n1;
      out[bias + hs[a]!] = out[bias + hs[a]!]! + cur;
      for (let b = 0; b <= a; b++) out[row + hs[b]!] = out[row + hs[b]!]! + cur;
      for (let j = 0; j < nd; j++) out[row + denseCols[j]!] = out[row + denseCols[j]!]! + cx[j]!;
    }
  }
  for (let i = 0; i < n1; i++) {
    for (let j = i + 1; j < n1; j++) {
      const v = out[i * n1 + j]!;
      if (v === 0) continue;
      out[j * n1 + i] = out[j * n1 + i]! + v;
      out[i * n1 + j] = 0;
    }
  }
}

/** Scales by 1/S and adds the penalty (coefficients only, never the intercepts) to value, gradient and Hessian. */
function finish(p: DesignProblem, theta: Float64Array, grad: Float64Array, loss: number, k: number): number {
  const d = p.design.width;
  const inv = 1 / p.weightSum;
  const lambda = p.l2 * inv;
  let sq = 0;
  const coefCount = k * d;
  for (let i = 0; i < coefCount; i++) {
    const w = theta[i]!;
    sq += w * w;
    grad[i] = grad[i]! * inv + lambda * w;
  }
  for (let i = coefCount; i < grad.length; i++) grad[i] = grad[i]! * inv;
  return loss * inv + 0.5 * lambda * sq;
}
