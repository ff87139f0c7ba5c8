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

/** Computes the partial sums of chunks [first, last) into out[(c − first) × length …]; a thread pool may do it. */
export type ChunkPass = (kind: 'binary' | 'multinomial', theta: Float64Array, classes: number) => Float64Array;

/** Partial-sum length of one chunk: [loss, gradient]. */
export function partialLength(width: number, kind: 'binary' | 'multinomial', classes: number): number {
  return 1 + (kind === 'binary' ? 1 : classes) * (width + 1);
}

export function chunkCount(rows: number): number {
  return Math.ceil(rows / CHUNK_ROWS);
}

/** The single-thread pass: every chunk on the calling thread; returns the partials, chunk after chunk. */
export function localPass(p: DesignProblem): ChunkPass {
  return (kind, theta, classes) => {
    const len = partialLength(p.design.width, kind, classes);
    const chunks = chunkCount(p.design.rows);
    const out = new Float64Array(chunks * len);
    for (let c = 0; c < chunks; c++) {
      const from = c * CHUNK_ROWS;
      const to = Math.min(p.design.rows, from + CHUNK_ROWS);
      const part = out.subarray(c * len, (c + 1) * len);
      if (kind === 'binary') binaryChunk(p, theta, from, to, part);
      else multinomialChunk(p, theta, from, to, classes, part);
    }
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

/** Rows whose Hessian terms are summed apart and then added in order (bounded memory for the partials). */
const HESSIAN_CHUNK_ROWS = 1 << 18;

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
export function binaryDesignHessian(p: DesignProblem, theta: Float64Array, hessian: Float64Array): void {
  const { design } = p;
  const n1 = design.width + 1;
  hessian.fill(0);
  const part = new Float64Array(n1 * n1);
  for (let from = 0; from < design.rows; from += HESSIAN_CHUNK_ROWS) {
    hessianChunk(p, theta, from, Math.min(design.rows, from + HESSIAN_CHUNK_ROWS), part);
    for (let i = 0; i < part.length; i++) hessian[i] = hessian[i]! + part[i]!;
  }
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

/** The curvature of rows [from, to) into the lower triangle of `out` (zeroed first). */
export function hessianChunk(p: DesignProblem, theta: Float64Array, from: number, to: number, out: Float64Array): void {
  const { design, weights } = p;
  const { width, denseCols, dense, blocks, hot } = design;
  const nd = denseCols.length;
  const n1 = width + 1;
  out.fill(0);
  const idx = new Int32Array(nd + blocks + 1);
  const val = new Float64Array(nd + blocks + 1);
  for (let r = from; r < to; r++) {
    const s = weights === undefined ? 1 : weights[r]!;
    if (s === 0) continue;
    let nz = 0;
    let z = theta[width]!;
    for (let j = 0; j < nd; j++) {
      const v = dense[r * nd + j]!;
      z += theta[denseCols[j]!]! * v;
      idx[nz] = denseCols[j]!;
      val[nz++] = v;
    }
    for (let q = 0; q < blocks; q++) {
      const c = hot[r * blocks + q]!;
      if (c < 0) continue;
      z += theta[c]!;
      idx[nz] = c;
      val[nz++] = 1;
    }
    idx[nz] = width;
    val[nz++] = 1;
    const e = Math.exp(-Math.abs(z));
    const prob = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    const cur = s * prob * (1 - prob);
    for (let a = 0; a < nz; a++) {
      const ia = idx[a]!;
      const va = cur * val[a]!;
      for (let b = 0; b <= a; b++) {
        const ib = idx[b]!;
        const at = ia >= ib ? ia * n1 + ib : ib * n1 + ia;
        out[at] = out[at]! + va * val[b]!;
      }
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
