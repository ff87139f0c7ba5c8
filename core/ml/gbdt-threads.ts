// The boosting work shared out over threads, on buffers in shared memory: each thread fills its own contiguous
// range of columns of a histogram, partitions its chunk of a large node's rows (gbdt-partition.ts), or runs a
// per-row pass (gradients, the root's gradients, leaf values into the scores; gbdt-rows.ts) over its range of
// rows. A bin's sum does not depend on the split (gbdt-histogram.ts), partitions join in order and row passes
// sum over fixed blocks, so any thread count gives bit-identical models. The calling thread takes the first
// range and waits (Atomics.wait) for the others; small jobs run on the calling thread alone, where waking a
// worker costs more than it saves.
//
// Workers run accumulateColumns from its source text (eval workers), so the same code serves compiled JS and
// the TypeScript test runner. A worker that does not start leaves the calling thread to build everything.
import type { MessagePort, Worker } from 'node:worker_threads';
import type { BinnedMatrix } from './gbdt-binning';
import { accumulateColumns, columnLists, type HistogramLayout } from './gbdt-histogram';
import { joinChunks, partitionChunk } from './gbdt-partition';
import { addLeafRows, gradientRows, lossRows, ROOT_BLOCK, rootRows, scoreBinnedRows, type RowBuffers } from './gbdt-rows';
import type { NodeSums } from './gbdt-split';
import { awaitJob, evalWorker, post, stopWorker } from './worker-pool';

/** Node rows (index, gradient, hessian by position), their partition spill space and the histograms, shared. */
export interface HistogramBuffers {
  idx: Int32Array;
  og: Float32Array;
  oh: Float32Array;
  spill: Int32Array;
  spillG: Float32Array;
  spillH: Float32Array;
  hists: Float64Array[];
}

export interface HistogramBuilder {
  /** Fills hists[h] from the rows idx[from, to) (identity: the node is every row, in order) summing to `sums`. */
  build(h: number, from: number, to: number, identity: boolean, sums: NodeSums): void;
  /**
   * Partitions the node at idx[from, to) by goesLeft[bin] of column `feature` (gbdt-partition.ts), over the
   * threads when the node is large; returns where the right child starts.
   */
  partition(from: number, to: number, feature: number, goesLeft: Uint8Array): number;
  /** Gradients and hessians of every score column from the raw scores (needs the row buffers). */
  gradients(): void;
  /** The root of score column k's tree: idx, og, oh over every row; returns the sums of og and oh. */
  root(k: number): { g: number; h: number };
  /** Adds the `count` leaves in rows.leaves ([from, to, value] over idx) to score column k's raw scores. */
  addLeaves(k: number, count: number): void;
  /** Adds the tree in the row buffers' node tables to score column k of the validation scores. */
  scoreValidation(k: number): void;
  /** The mean loss of the validation scores. */
  validationLoss(): number;
  /** Threads building (1 = the calling thread only). */
  threads: number;
  close(): Promise<void>;
}

export function sharedHistogramBuffers(rows: number, layout: HistogramLayout, histograms: number): HistogramBuffers {
  const f64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * n));
  const f32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * n));
  return {
    idx: new Int32Array(new SharedArrayBuffer(4 * rows)),
    og: f32(rows),
    oh: f32(rows),
    spill: new Int32Array(new SharedArrayBuffer(4 * rows)),
    spillG: f32(rows),
    spillH: f32(rows),
    hists: Array.from({ length: histograms }, () => f64(3 * layout.total)),
  };
}

/** Nodes with fewer (rows × columns) bin updates than this are built on the calling thread alone. */
const PARALLEL_MIN_UPDATES = 1 << 17;
/** Nodes (and row passes) with fewer rows than this are partitioned on the calling thread alone. */
const PARALLEL_MIN_PARTITION = 1 << 16;
/**
 * Polls of a control word before sleeping on it: jobs follow each other within tens of microseconds while a
 * tree grows, and a sleeping thread takes longer than that to wake (OpenMP runtimes spin-then-sleep alike).
 */
const SPIN_POLLS = 1 << 14;
const READY_TIMEOUT_MS = 10_000;
/** A histogram taking longer than this means a worker died: fail rather than wait forever. */
const BUILD_TIMEOUT_MS = 10 * 60_000;

// Control words of a worker beyond worker-pool.ts's SEQ, DONE, STOP and FAILED.
const HIST = 2;
const FROM = 3;
const TO = 4;
const IDENTITY = 5;
const JOB = 8; // 0 histogram, 1 partition, 2 gradients, 3 root, 4 leaf values, 5 validation scores, 6 validation loss
const FEATURE = 9;
const LEFTS = 10; // partition result
const COLUMN = 11; // score column of a row pass
const COUNT = 12; // leaves of a leaf-value pass
const CONTROL_WORDS = 16;
const JOB_GRADIENTS = 2;
const JOB_ROOT = 3;
const JOB_LEAVES = 4;
const JOB_VALIDATION = 5;
const JOB_LOSS = 6;

interface WorkerData {
  ctl: Int32Array;
  /** The node's [g, h, count], written with each job. */
  sums: Float64Array;
  /** The bins going left, written with each partition job. */
  goesLeft: Uint8Array;
  bins: Uint8Array;
  rows: number;
  start: Int32Array;
  skip: Int32Array;
  dense: Int32Array;
  sparse: Int32Array;
  idx: Int32Array;
  og: Float32Array;
  oh: Float32Array;
  spill: Int32Array;
  spillG: Float32Array;
  spillH: Float32Array;
  hists: Float64Array[];
  rowData: RowBuffers | undefined;
}

type Started = { worker: Worker; ctl: Int32Array; sums: Float64Array; goesLeft: Uint8Array };

/**
 * A builder over `threads` threads (the calling one included). `binned.bins` must live in shared memory
 * (binMatrix allocates it there) for workers to read it.
 */
export async function startHistogramBuilder(
  binned: BinnedMatrix,
  layout: HistogramLayout,
  buffers: HistogramBuffers,
  threads: number,
  rowData?: RowBuffers,
): Promise<HistogramBuilder> {
  const { rows, cols, bins, skipBin: skip } = binned;
  const { idx, og, oh, spill, spillG, spillH, hists } = buffers;
  const { start } = layout;
  const wanted = Math.max(1, Math.min(threads, cols));
  const bounds = costBounds(skip, wanted);
  const workers: Started[] = [];
  if (wanted > 1 && bins.buffer instanceof SharedArrayBuffer) {
    const started = await Promise.all(
      bounds.slice(1, -1).map((f0, t) =>
        startWorker({
          ctl: new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS)),
          sums: new Float64Array(new SharedArrayBuffer(24)),
          goesLeft: new Uint8Array(new SharedArrayBuffer(256)),
          bins,
          rows,
          start,
          skip,
          ...columnLists(skip, f0, bounds[t + 2]!),
          idx,
          og,
          oh,
          spill,
          spillG,
          spillH,
          hists,
          rowData,
        }),
      ),
    );
    if (started.every((w) => w !== undefined)) workers.push(...started.filter((w) => w !== undefined));
    else await Promise.all(started.map((w) => w?.worker.terminate()));
  }
  const all = columnLists(skip, 0, cols);
  const mine = workers.length > 0 ? columnLists(skip, 0, bounds[1]!) : all;
  const sums = new Float64Array(3);
  return {
    threads: workers.length + 1,
    build(h, from, to, identity, node) {
      const hist = hists[h]!;
      sums[0] = node.g;
      sums[1] = node.h;
      sums[2] = node.count;
      if (workers.length === 0 || (to - from) * cols < PARALLEL_MIN_UPDATES) {
        accumulateColumns(hist, bins, rows, start, skip, all.dense, all.sparse, idx, from, to, og, oh, identity, sums);
        return;
      }
      const seqs = workers.map((w) => {
        const ctl = w.ctl;
        w.sums.set(sums);
        ctl[JOB] = 0;
        ctl[HIST] = h;
        ctl[FROM] = from;
        ctl[TO] = to;
        ctl[IDENTITY] = identity ? 1 : 0;
        return post(ctl);
      });
      accumulateColumns(hist, bins, rows, start, skip, mine.dense, mine.sparse, idx, from, to, og, oh, identity, sums);
      workers.forEach((w, i) => awaitWorker(w, seqs[i]!, i));
    },
    partition(from, to, feature, goesLeft) {
      const col = feature * rows;
      const chunks = workers.length === 0 || to - from < PARALLEL_MIN_PARTITION ? 1 : workers.length + 1;
      const cuts = Array.from({ length: chunks + 1 }, (_, c) => from + Math.floor(((to - from) * c) / chunks));
      const seqs = workers.slice(0, chunks - 1).map((w, i) => {
        const ctl = w.ctl;
        w.goesLeft.set(goesLeft);
        ctl[JOB] = 1;
        ctl[FEATURE] = feature;
        ctl[FROM] = cuts[i + 1]!;
        ctl[TO] = cuts[i + 2]!;
        return post(ctl);
      });
      const lefts = [partitionChunk(bins, col, goesLeft, idx, og, oh, spill, spillG, spillH, cuts[0]!, cuts[1]!)];
      seqs.forEach((seq, i) => {
        awaitWorker(workers[i]!, seq, i);
        lefts.push(workers[i]!.ctl[LEFTS]!);
      });
      return joinChunks(buffers, cuts, lefts);
    },
    ...rowPasses(workers, buffers, rowData),
    async close() {
      for (const { ctl } of workers) stopWorker(ctl);
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    },
  };
}

type RowPasses = Pick<HistogramBuilder, 'gradients' | 'root' | 'addLeaves' | 'scoreValidation' | 'validationLoss'>;

/** The builder's row passes (gbdt-rows.ts) over the workers, on `rowData` and the node rows of `buffers`. */
function rowPasses(workers: Started[], buffers: HistogramBuffers, rowData: RowBuffers | undefined): RowPasses {
  const { idx, og, oh } = buffers;
  const rowBuffers = (): RowBuffers => {
    if (rowData === undefined) throw new Error('gbdt: the builder was started without row buffers (internal error)');
    return rowData;
  };
  /** Runs a row pass over rows [0, n): `mine` on the calling thread's range, job `job` on the workers'. */
  const rowPass = (job: number, n: number, column: number, count: number, mine: (from: number, to: number) => void): void => {
    const chunks = workers.length === 0 || n < PARALLEL_MIN_PARTITION ? 1 : workers.length + 1;
    const blocks = Math.ceil(n / ROOT_BLOCK);
    const cuts = Array.from({ length: chunks + 1 }, (_, c) => Math.min(n, Math.round((blocks * c) / chunks) * ROOT_BLOCK));
    const seqs = workers.slice(0, chunks - 1).map((w, i) => {
      const ctl = w.ctl;
      ctl[JOB] = job;
      ctl[COLUMN] = column;
      ctl[COUNT] = count;
      ctl[FROM] = cuts[i + 1]!;
      ctl[TO] = cuts[i + 2]!;
      return post(ctl);
    });
    mine(cuts[0]!, cuts[1]!);
    seqs.forEach((seq, i) => awaitWorker(workers[i]!, seq, i));
  };

  return {
    gradients() {
      const d = rowBuffers();
      rowPass(JOB_GRADIENTS, d.n, 0, 0, (from, to) => gradientRows(d.task, d.classes, d.labels, d.targets, d.weights, d.raw, d.grad, d.hess, d.n, from, to));
    },
    root(k) {
      const d = rowBuffers();
      rowPass(JOB_ROOT, d.n, k, 0, (from, to) => rootRows(d.grad, d.hess, k * d.n, idx, og, oh, d.blockSums, ROOT_BLOCK, from, to));
      let g = 0;
      let h = 0;
      for (let b = 0; b < d.blockSums.length; b += 2) {
        g += d.blockSums[b]!;
        h += d.blockSums[b + 1]!;
      }
      return { g, h };
    },
    addLeaves(k, count) {
      const d = rowBuffers();
      rowPass(JOB_LEAVES, d.n, k, count, (from, to) => addLeafRows(d.raw, k * d.n, idx, d.leaves, count, from, to));
    },
    scoreValidation(k) {
      const d = rowBuffers();
      const m = d.validRows;
      rowPass(JOB_VALIDATION, m, k, 0, (from, to) => scoreBinnedRows(d.validBins, m, d.nodes, d.nodeBins, d.nodeValue, d.validRaw, k * m, from, to));
    },
    validationLoss() {
      const d = rowBuffers();
      const m = d.validRows;
      rowPass(JOB_LOSS, m, 0, 0, (from, to) => lossRows(d.task, d.classes, d.validLabels, d.validTargets, d.validRaw, m, d.validLoss, ROOT_BLOCK, from, to));
      let total = 0;
      for (let b = 0; b < d.validLoss.length; b++) total += d.validLoss[b]!;
      return total / m;
    },
  };
}

/** Waits for worker `w` to finish job `seq`; throws when it failed or stopped answering. */
function awaitWorker({ ctl }: Started, seq: number, w: number): void {
  const failed = 'its job (a histogram, a partition or a row pass)';
  awaitJob(ctl, seq, { who: 'gbdt', thread: w + 1, failed, timeoutMs: BUILD_TIMEOUT_MS, spin: SPIN_POLLS });
}

/** Column ranges for `threads` threads of about equal work (a sparse column costs about 0.4 of a dense one). */
function costBounds(skip: Int32Array, threads: number): number[] {
  const cost = (f: number): number => (skip[f]! >= 0 ? 0.4 : 1);
  let total = 0;
  for (let f = 0; f < skip.length; f++) total += cost(f);
  const bounds = [0];
  let acc = 0;
  for (let f = 0; f < skip.length && bounds.length < threads; f++) {
    acc += cost(f);
    if (acc >= (total * bounds.length) / threads) bounds.push(f + 1);
  }
  while (bounds.length < threads) bounds.push(skip.length);
  bounds.push(skip.length);
  return bounds;
}

/** A worker that has said it is ready, or undefined when it could not start. */
async function startWorker(data: WorkerData): Promise<Started | undefined> {
  const source = [
    "const { workerData, parentPort } = require('node:worker_threads');",
    `const accumulateColumns = ${accumulateColumns.toString()};`,
    `const partitionChunk = ${partitionChunk.toString()};`,
    `const gradientRows = ${gradientRows.toString()};`,
    `const rootRows = ${rootRows.toString()};`,
    `const addLeafRows = ${addLeafRows.toString()};`,
    `const scoreBinnedRows = ${scoreBinnedRows.toString()};`,
    `const lossRows = ${lossRows.toString()};`,
    `const rowKernels = { gradientRows, rootRows, addLeafRows, scoreBinnedRows, lossRows, block: ${ROOT_BLOCK} };`,
    `(${workerLoop.toString()})(workerData, parentPort, accumulateColumns, partitionChunk, rowKernels, ${SPIN_POLLS});`,
  ].join('\n');
  const worker = evalWorker(source, data);
  if (worker === undefined) return undefined;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    const settle = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    worker.once('message', (m: unknown) => settle(m === 'ready'));
    worker.once('error', () => settle(false));
    worker.once('exit', () => settle(false));
  });
  if (!ready) {
    await worker.terminate();
    return undefined;
  }
  return { worker, ctl: data.ctl, sums: data.sums, goesLeft: data.goesLeft };
}

interface RowKernels {
  gradientRows: typeof gradientRows;
  rootRows: typeof rootRows;
  addLeafRows: typeof addLeafRows;
  scoreBinnedRows: typeof scoreBinnedRows;
  lossRows: typeof lossRows;
  block: number;
}

/**
 * The worker side: wait for a job number, build its columns of a histogram, partition its chunk of a node or
 * run a row pass over its rows, report it done. Self-contained (runs from source; control words by number).
 */
function workerLoop(
  data: WorkerData,
  port: MessagePort | null,
  kernel: typeof accumulateColumns,
  split: typeof partitionChunk,
  rk: RowKernels,
  spin: number,
): void {
  const { ctl, sums, goesLeft, bins, rows, start, skip, dense, sparse, idx, og, oh, spill, spillG, spillH, hists, rowData: d } = data;
  port?.postMessage('ready');
  let seen = 0;
  for (;;) {
    for (let i = 0; i < spin && Atomics.load(ctl, 0) === seen; i++);
    Atomics.wait(ctl, 0, seen);
    const seq = Atomics.load(ctl, 0);
    if (seq === seen) continue;
    seen = seq;
    if (Atomics.load(ctl, 6) === 1) return;
    try {
      const job = ctl[8]!;
      if (job === 1) ctl[10] = split(bins, ctl[9]! * rows, goesLeft, idx, og, oh, spill, spillG, spillH, ctl[3]!, ctl[4]!);
      else if (job === 2) rk.gradientRows(d!.task, d!.classes, d!.labels, d!.targets, d!.weights, d!.raw, d!.grad, d!.hess, d!.n, ctl[3]!, ctl[4]!);
      else if (job === 3) rk.rootRows(d!.grad, d!.hess, ctl[11]! * d!.n, idx, og, oh, d!.blockSums, rk.block, ctl[3]!, ctl[4]!);
      else if (job === 4) rk.addLeafRows(d!.raw, ctl[11]! * d!.n, idx, d!.leaves, ctl[12]!, ctl[3]!, ctl[4]!);
      else if (job === 5)
        rk.scoreBinnedRows(d!.validBins, d!.validRows, d!.nodes, d!.nodeBins, d!.nodeValue, d!.validRaw, ctl[11]! * d!.validRows, ctl[3]!, ctl[4]!);
      else if (job === 6)
        rk.lossRows(d!.task, d!.classes, d!.validLabels, d!.validTargets, d!.validRaw, d!.validRows, d!.validLoss, rk.block, ctl[3]!, ctl[4]!);
      else kernel(hists[ctl[2]!]!, bins, rows, start, skip, dense, sparse, idx, ctl[3]!, ctl[4]!, og, oh, ctl[5] === 1, sums);
    } catch {
      Atomics.store(ctl, 7, 1);
    }
    Atomics.store(ctl, 1, seq);
    Atomics.notify(ctl, 1);
  }
}
