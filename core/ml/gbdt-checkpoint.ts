// GBDT training checkpoints: a JSON-safe snapshot after a boosting iteration (plain arrays and numbers only;
// JSON.stringify / JSON.parse give it back exactly) from which fitGbdt resumes to the model an uninterrupted
// fit would give. Raw scores are not stored (they are rows × classes numbers): resuming replays the stored trees
// on the training and validation rows, which adds the same leaf values in the same order, bit for bit.
import type { BinnedMatrix } from './gbdt-binning';
import { forestFromJson, forestOf, forestToJson, treeOf, type GbdtForestJson, type GbdtTree } from './gbdt-forest';
import type { GbdtTask } from './gbdt-loss';
import type { GbdtParams } from './model';

export const GBDT_CHECKPOINT_FORMAT = 'mlops.gbdt-checkpoint.v2';

export interface GbdtCheckpoint {
  format: typeof GBDT_CHECKPOINT_FORMAT;
  task: GbdtTask;
  classes: string[];
  params: GbdtParams;
  /** The data fitted: shapes and a hash of the binned rows and targets, checked on resume. */
  data: { rows: number; cols: number; validationRows: number; hash: string };
  /** Boosting iterations completed. */
  iteration: number;
  baseScores: number[];
  /** Per matrix column, the float32 bin edges (ascending). */
  binEdges: number[][];
  /** Every tree grown so far (iteration × score columns, in growth order), best iteration or not. */
  trees: GbdtForestJson;
  /** bestLoss: the lowest validation loss so far (null before the first iteration or without validation). */
  earlyStopping: { bestLoss: number | null; bestIteration: number };
}

export interface TrainingState {
  task: GbdtTask;
  classes: string[];
  params: GbdtParams;
  data: GbdtCheckpoint['data'];
  iteration: number;
  baseScores: Float64Array;
  edges: readonly Float64Array[];
  trees: GbdtTree[];
  treeClass: number[];
  bestLoss: number;
  bestIteration: number;
}

/** What a fit knows before its first iteration. */
export type TrainingSetup = Omit<TrainingState, 'iteration' | 'trees' | 'treeClass' | 'bestLoss' | 'bestIteration'>;

export function checkpointOf(s: TrainingState): GbdtCheckpoint {
  return {
    format: GBDT_CHECKPOINT_FORMAT,
    task: s.task,
    classes: [...s.classes],
    params: { ...s.params },
    data: { ...s.data },
    iteration: s.iteration,
    baseScores: Array.from(s.baseScores),
    binEdges: s.edges.map((e) => Array.from(e)),
    trees: forestToJson(forestOf(s.trees, s.treeClass)),
    earlyStopping: { bestLoss: Number.isFinite(s.bestLoss) ? s.bestLoss : null, bestIteration: s.bestIteration },
  };
}

/** Bin edges of a checkpoint, checked before the data is binned with them. */
export function checkpointEdges(c: GbdtCheckpoint, cols: number, maxBins: number): Float64Array[] {
  const fail = failure();
  if (c.format !== GBDT_CHECKPOINT_FORMAT) fail(`format is ${JSON.stringify(c.format)}, expected ${GBDT_CHECKPOINT_FORMAT}`);
  if (!Array.isArray(c.binEdges) || c.binEdges.length !== cols) fail(`binEdges must hold one list per matrix column (${cols})`);
  return c.binEdges.map((edges, f) => {
    if (!Array.isArray(edges) || edges.length > maxBins - 1) fail(`binEdges[${f}] must be a list of at most ${maxBins - 1} edges`);
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i];
      if (typeof e !== 'number' || Math.fround(e) !== e || !Number.isFinite(e) || (i > 0 && !(e > edges[i - 1]!))) {
        fail(`binEdges[${f}] must be ascending finite float32 values; entry ${i} is ${String(e)}`);
      }
    }
    return Float64Array.from(edges);
  });
}

/** The state to continue from, after checking that the checkpoint belongs to this fit. */
export function restoreCheckpoint(c: GbdtCheckpoint, expected: TrainingSetup, columns: number): TrainingState {
  const fail = failure();
  if (c.task !== expected.task) fail(`it was taken fitting a ${c.task} model, this fit is ${expected.task}`);
  if (JSON.stringify(c.classes) !== JSON.stringify(expected.classes)) {
    fail(`its classes ${JSON.stringify(c.classes)} differ from this fit's ${JSON.stringify(expected.classes)}`);
  }
  for (const key of Object.keys(expected.params) as (keyof GbdtParams)[]) {
    if (c.params?.[key] !== expected.params[key]) {
      fail(`it was taken with ${key} = ${String(c.params?.[key])}, this fit has ${key} = ${String(expected.params[key])}; resume with the same params`);
    }
  }
  for (const key of ['rows', 'cols', 'validationRows', 'hash'] as const) {
    if (c.data?.[key] !== expected.data[key]) {
      fail(`it was taken on other data (${key} ${String(c.data?.[key])}, now ${String(expected.data[key])}); resume on the same training and validation rows`);
    }
  }
  const maxIter = expected.params.maxIter;
  if (!Number.isInteger(c.iteration) || c.iteration < 0 || c.iteration > maxIter) fail(`iteration ${c.iteration} is outside [0, ${maxIter}]`);
  if (!Array.isArray(c.baseScores) || c.baseScores.length !== expected.baseScores.length || c.baseScores.some((b, i) => b !== expected.baseScores[i])) {
    fail('its base scores differ from the ones of this data');
  }
  const forest = forestFromJson(c.trees, expected.data.cols, columns);
  const count = forest.treeClass.length;
  if (count !== c.iteration * columns) fail(`it holds ${count} trees; ${c.iteration} iterations × ${columns} score columns need ${c.iteration * columns}`);
  const { bestLoss, bestIteration } = c.earlyStopping ?? {};
  if (!(bestLoss === null || (typeof bestLoss === 'number' && Number.isFinite(bestLoss)))) fail('earlyStopping.bestLoss must be a finite number or null');
  if (typeof bestIteration !== 'number' || !Number.isInteger(bestIteration) || bestIteration < 0 || bestIteration > c.iteration) {
    fail(`earlyStopping.bestIteration must be an integer in [0, ${c.iteration}]`);
  }
  return {
    ...expected,
    iteration: c.iteration,
    trees: Array.from({ length: count }, (_, t) => treeOf(forest, t)),
    treeClass: Array.from(forest.treeClass),
    bestLoss: bestLoss ?? Infinity,
    bestIteration,
  };
}

/** FNV-1a over the binned rows and the targets of training and validation: "same data" for resume. */
export function dataHash(parts: (BinnedMatrix | ArrayBufferView)[]): string {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const bytes = 'bins' in part ? part.bins : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function failure(): (rule: string) => never {
  return (rule) => {
    throw new Error(`gbdt resume: the checkpoint does not fit this training run: ${rule}`);
  };
}
