// Splitting a node's rows between its children: a stable partition of the row index range, moving each row's
// gradient and hessian (og, oh) along so that every node's gradients stay in its row order (histograms read
// them in order, no gather pass). Large nodes are cut into one chunk per thread (gbdt-threads.ts): each
// chunk is partitioned on its own, then the chunks' left and right runs are put together, in order, by memmove.
// Every thread count gives the same order, hence the same model bits.

/** Node rows and gradients in shared memory, and the spill space of the right-hand rows (same positions). */
export interface PartitionBuffers {
  idx: Int32Array;
  og: Float32Array;
  oh: Float32Array;
  spill: Int32Array;
  spillG: Float32Array;
  spillH: Float32Array;
}

/**
 * Partitions positions [from, to) by goesLeft[bins[col + row]]: the left rows end up at [from, from + n) in
 * order, the right rows at spill*[from, from + (to − from − n)) in order; returns n. Branch-free: each row is
 * written to both sides and only the side it belongs to advances (left writes land at or before the read).
 *
 * Self-contained on purpose (no outer names): gbdt-threads.ts runs this function's source in worker threads.
 */
export function partitionChunk(
  bins: Uint8Array,
  col: number,
  goesLeft: Uint8Array,
  idx: Int32Array,
  og: Float32Array,
  oh: Float32Array,
  spill: Int32Array,
  spillG: Float32Array,
  spillH: Float32Array,
  from: number,
  to: number,
): number {
  let w = from;
  let s = from;
  for (let i = from; i < to; i++) {
    const r = idx[i]!;
    const g = og[i]!;
    const h = oh[i]!;
    const left = goesLeft[bins[col + r]!]!;
    idx[w] = r;
    og[w] = g;
    oh[w] = h;
    spill[s] = r;
    spillG[s] = g;
    spillH[s] = h;
    w += left;
    s += 1 - left;
  }
  return w - from;
}

/**
 * Puts partitioned chunks together: chunk c spans [bounds[c], bounds[c + 1]) with lefts[c] left rows at its
 * start and its right rows in spill space at the same start. Returns where the right child starts.
 */
export function joinChunks(b: PartitionBuffers, bounds: number[], lefts: number[]): number {
  const { idx, og, oh, spill, spillG, spillH } = b;
  let w = bounds[0]!;
  for (let c = 0; c < lefts.length; c++) {
    const at = bounds[c]!;
    const n = lefts[c]!;
    if (at !== w) {
      idx.copyWithin(w, at, at + n);
      og.copyWithin(w, at, at + n);
      oh.copyWithin(w, at, at + n);
    }
    w += n;
  }
  const mid = w;
  for (let c = 0; c < lefts.length; c++) {
    const at = bounds[c]!;
    const end = at + (bounds[c + 1]! - at - lefts[c]!);
    idx.set(spill.subarray(at, end), w);
    og.set(spillG.subarray(at, end), w);
    oh.set(spillH.subarray(at, end), w);
    w += end - at;
  }
  return mid;
}
