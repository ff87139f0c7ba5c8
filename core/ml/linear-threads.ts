// The linear passes shared out over threads, as the GBDT histograms are (gbdt-threads.ts): each thread computes
// the partial sums of a contiguous range of the pass's fixed chunks into shared memory, and the caller adds them
// up in chunk order (linear-objective.ts), so any thread count gives bit-identical fits. The calling thread takes
// the first range and waits (Atomics.wait) for the others. Workers run the chunk kernels from their source text
// (eval workers), so the same code serves compiled JS and the TypeScript test runner; a worker that does not
// start leaves the calling thread to do every chunk.
import type { Worker } from 'node:worker_threads';
import {
  binaryChunk,
  chunkRows,
  hessianChunk,
  localPass,
  multinomialChunk,
  partialLength,
  runChunks,
  type ChunkPass,
  type DesignProblem,
  type PassKind,
} from './linear-objective';
import { awaitJob, defaultThreads, evalWorker, post, stopWorker } from './worker-pool';

export interface LinearPool {
  pass: ChunkPass;
  /** Threads computing (1 = the calling thread only). */
  threads: number;
  close(): void;
}

/** Below this many chunks a pass stays on the calling thread: waking a worker would cost more than it saves. */
const MIN_CHUNKS = 4;
const READY_TIMEOUT_MS = 10_000;
/** A pass taking longer than this means a worker died: fail rather than wait forever. */
const PASS_TIMEOUT_MS = 10 * 60_000;

// Control words of a worker beyond worker-pool.ts's SEQ, DONE, STOP and FAILED.
const KIND = 2; // 0 binary, 1 multinomial, 2 hessian
const CLASSES = 3;
const FIRST = 4;
const LAST = 5;
const READY = 8;
const LENGTH = 9;

const KINDS: PassKind[] = ['binary', 'multinomial', 'hessian'];

interface WorkerData {
  ctl: Int32Array;
  theta: Float64Array;
  out: Float64Array;
  problem: DesignProblem;
  /** Rows per chunk, by kind index. */
  sizes: number[];
}

const sharedF64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));

/**
 * A pool of `threads` threads (the calling one included) for the passes of `p` over up to `classes` classes.
 * The design must live in shared memory (encodeLinear allocates it there); labels and weights are copied there.
 * Synchronous: the caller waits (at most READY_TIMEOUT_MS) for the workers to start.
 */
export function startLinearPool(p: DesignProblem, classes: number, threads = defaultThreads()): LinearPool {
  const local = localPass(p);
  const { design } = p;
  const chunksOf = (kind: PassKind): number => Math.ceil(design.rows / chunkRows(kind));
  const shared = design.dense.buffer instanceof SharedArrayBuffer && design.hot.buffer instanceof SharedArrayBuffer;
  const wanted = Math.max(1, Math.min(threads, chunksOf('binary')));
  if (wanted < 2 || !shared || chunksOf('binary') < MIN_CHUNKS) return { pass: local, threads: 1, close: () => undefined };

  const kinds: PassKind[] = classes === 2 ? ['binary', 'hessian'] : ['multinomial'];
  const size = Math.max(...kinds.map((k) => chunksOf(k) * partialLength(design.width, k, classes)));
  const out = sharedF64(size);
  const theta = sharedF64(classes === 2 ? design.width + 1 : classes * (design.width + 1));
  const labels = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, p.labels.length)));
  labels.set(p.labels);
  let weights: Float64Array | undefined;
  if (p.weights) {
    weights = sharedF64(p.weights.length);
    weights.set(p.weights);
  }
  const problem: DesignProblem = { ...p, labels, weights };
  const workers: { worker: Worker; ctl: Int32Array }[] = [];
  for (let t = 1; t < wanted; t++) {
    const w = startWorker({ ctl: new Int32Array(new SharedArrayBuffer(4 * 10)), theta, out, problem, sizes: KINDS.map(chunkRows) });
    if (w === undefined) break;
    workers.push(w);
  }
  if (workers.length === 0) return { pass: local, threads: 1, close: () => undefined };

  const pass: ChunkPass = (kind, x, k) => {
    const chunks = chunksOf(kind);
    const len = partialLength(design.width, kind, k);
    if (chunks < MIN_CHUNKS) return local(kind, x, k);
    theta.set(x);
    const n = workers.length + 1;
    const bound = (i: number): number => Math.floor((chunks * i) / n);
    const seqs = workers.map(({ ctl }, w) => {
      ctl[KIND] = KINDS.indexOf(kind);
      ctl[CLASSES] = k;
      ctl[LENGTH] = len;
      ctl[FIRST] = bound(w + 1);
      ctl[LAST] = bound(w + 2);
      return post(ctl);
    });
    runChunks(problem, kind, theta, k, 0, bound(1), out);
    workers.forEach(({ ctl }, w) =>
      awaitJob(ctl, seqs[w]!, { who: 'linear model', thread: w + 1, failed: `computing a ${kind} pass`, timeoutMs: PASS_TIMEOUT_MS }),
    );
    return out.subarray(0, chunks * len);
  };
  return {
    pass,
    threads: workers.length + 1,
    close() {
      for (const { worker, ctl } of workers) {
        stopWorker(ctl);
        void worker.terminate();
      }
    },
  };
}

/** A worker that has said it is ready, or undefined when it could not start in time. */
function startWorker(data: WorkerData): { worker: Worker; ctl: Int32Array } | undefined {
  const source = [
    "const { workerData } = require('node:worker_threads');",
    `const binaryChunk = ${binaryChunk.toString()};`,
    `const multinomialChunk = ${multinomialChunk.toString()};`,
    `const hessianChunk = ${hessianChunk.toString()};`,
    `(${workerLoop.toString()})(workerData, binaryChunk, multinomialChunk, hessianChunk);`,
  ].join('\n');
  const worker = evalWorker(source, data);
  if (worker === undefined) return undefined;
  if (Atomics.wait(data.ctl, READY, 0, READY_TIMEOUT_MS) === 'timed-out' && Atomics.load(data.ctl, READY) === 0) {
    void worker.terminate();
    return undefined;
  }
  return { worker, ctl: data.ctl };
}

/** The worker side: wait for a job number, compute its chunks, report it done. Self-contained (runs from source). */
function workerLoop(data: WorkerData, binary: typeof binaryChunk, multinomial: typeof multinomialChunk, hessian: typeof hessianChunk): void {
  const { ctl, theta, out, problem, sizes } = data;
  const { rows } = problem.design;
  Atomics.store(ctl, 8, 1);
  Atomics.notify(ctl, 8);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    const seq = Atomics.load(ctl, 0);
    if (seq === seen) continue;
    seen = seq;
    if (Atomics.load(ctl, 6) === 1) return;
    try {
      const kind = ctl[2]!;
      const k = ctl[3]!;
      const size = sizes[kind]!;
      const len = ctl[9]!;
      for (let c = ctl[4]!; c < ctl[5]!; c++) {
        const from = c * size;
        const to = Math.min(rows, from + size);
        const part = out.subarray(c * len, (c + 1) * len);
        if (kind === 0) binary(problem, theta, from, to, part);
        else if (kind === 1) multinomial(problem, theta, from, to, k, part);
        else hessian(problem, theta, from, to, part);
      }
    } catch {
      Atomics.store(ctl, 7, 1);
    }
    Atomics.store(ctl, 1, seq);
    Atomics.notify(ctl, 1);
  }
}
