// What the GBDT and linear thread pools (gbdt-threads.ts, linear-threads.ts) share: how many threads to use,
// eval workers started from source text, and the control words a job goes through. Per worker an Int32Array
// over a SharedArrayBuffer: the caller writes the job's words and bumps SEQ; the worker runs it, sets FAILED
// if it threw, and stores the job number in DONE. The worker loops stay in their own modules: they run from
// source and read these words by number.
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Control words every pool keeps at these positions; the others (2–5, 8 and up) are each pool's own. */
export const SEQ = 0; // job number, bumped by the caller
export const DONE = 1; // job number last finished, set by the worker
export const STOP = 6;
export const FAILED = 7;

/** Default thread count: the cores available, at most 4 (the passes are memory-bound beyond that). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** A worker running `source` (CommonJS, `workerData` = `data`), or undefined when it cannot be created. */
export function evalWorker(source: string, data: unknown): Worker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(source, { eval: true, workerData: data });
  } catch {
    return undefined;
  }
  worker.unref();
  return worker;
}

/** Hands the job whose words are written in `ctl` to its worker; returns the job number to wait for. */
export function post(ctl: Int32Array): number {
  const seq = Atomics.add(ctl, SEQ, 1) + 1;
  Atomics.notify(ctl, SEQ);
  return seq;
}

/**
 * Waits for job `seq` of worker `thread` (polling `spin` times before sleeping). Throws `<who>: worker thread N
 * did not answer within …` after `timeoutMs`, and `<who>: worker thread N failed <failed>` when the job threw.
 */
export function awaitJob(ctl: Int32Array, seq: number, o: { who: string; thread: number; failed: string; timeoutMs: number; spin?: number }): void {
  for (let i = 0; i < (o.spin ?? 0) && Atomics.load(ctl, DONE) !== seq; i++);
  for (let done = Atomics.load(ctl, DONE); done !== seq; done = Atomics.load(ctl, DONE)) {
    if (Atomics.wait(ctl, DONE, done, o.timeoutMs) === 'timed-out') {
      throw new Error(`${o.who}: worker thread ${o.thread} did not answer within ${o.timeoutMs / 1000} s`);
    }
  }
  if (Atomics.load(ctl, FAILED) !== 0) throw new Error(`${o.who}: worker thread ${o.thread} failed ${o.failed}`);
}

/** Tells a worker to return from its loop. */
export function stopWorker(ctl: Int32Array): void {
  Atomics.store(ctl, STOP, 1);
  post(ctl);
}
