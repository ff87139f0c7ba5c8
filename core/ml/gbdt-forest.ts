// GBDT trees as flat node arrays (GbdtForest in model.ts): routing a row to its leaf, adding trees' leaf values
// to raw scores, and the plain-array (JSON) form used by checkpoints.
import { CAT_WORDS, type GbdtForest, type Matrix } from './model';

/** One tree: nodes numbered from its root (0); the same arrays as a forest holding a single tree. */
export type GbdtTree = Omit<GbdtForest, 'treeStart' | 'treeClass'>;

/** A forest with every typed array as a plain number array: what JSON.stringify / JSON.parse round-trip. */
export type GbdtForestJson = { [K in keyof GbdtForest]: number[] };

/** The leaf (global node index) that matrix row at `at` (its offset in the row-major values) reaches from `root`. */
export function leafOf(tree: GbdtTree, root: number, values: Float64Array, at: number): number {
  const { feature, threshold, missingLeft, left, right, categorical, catBits } = tree;
  let node = root;
  for (;;) {
    const f = feature[node]!;
    if (f < 0) return node;
    const v = values[at + f]!;
    let goLeft: boolean;
    if (categorical[node] === 1) {
      // A code in the set goes left, NaN by missingLeft, anything else (other codes, ±Infinity) right.
      if (v !== v) goLeft = missingLeft[node] === 1;
      else goLeft = v >= 0 && v < 256 && Math.floor(v) === v && ((catBits[node * CAT_WORDS + (v >>> 5)]! >>> (v & 31)) & 1) === 1;
    } else {
      const x = Math.fround(v);
      // x − x is 0 exactly for finite x: NaN and ±Infinity are missing.
      goLeft = x - x === 0 ? x <= threshold[node]! : missingLeft[node] === 1;
    }
    node = root + (goLeft ? left[node]! : right[node]!);
  }
}

/** out[r · stride + column] += the tree's value for every row r of `matrix`. */
export function addTreeScores(tree: GbdtTree, matrix: Matrix, out: Float64Array, stride: number, column: number): void {
  const { rows, cols, values } = matrix;
  const value = tree.value;
  for (let r = 0; r < rows; r++) {
    const at = r * stride + column;
    out[at] = out[at]! + value[leafOf(tree, 0, values, r * cols)]!;
  }
}

/** Concatenates trees (each with the score column it adds to) into one forest. */
export function forestOf(trees: readonly GbdtTree[], treeClass: readonly number[]): GbdtForest {
  const nodes = trees.reduce((n, t) => n + t.feature.length, 0);
  const forest: GbdtForest = {
    treeStart: new Int32Array(trees.length + 1),
    treeClass: Int32Array.from(treeClass.slice(0, trees.length)),
    feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    missingLeft: new Uint8Array(nodes),
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    value: new Float64Array(nodes),
    gain: new Float64Array(nodes),
    count: new Int32Array(nodes),
    categorical: new Uint8Array(nodes),
    catBits: new Uint32Array(nodes * CAT_WORDS),
  };
  let at = 0;
  trees.forEach((t, i) => {
    forest.treeStart[i] = at;
    forest.feature.set(t.feature, at);
    forest.threshold.set(t.threshold, at);
    forest.missingLeft.set(t.missingLeft, at);
    forest.left.set(t.left, at);
    forest.right.set(t.right, at);
    forest.value.set(t.value, at);
    forest.gain.set(t.gain, at);
    forest.count.set(t.count, at);
    forest.categorical.set(t.categorical, at);
    forest.catBits.set(t.catBits, at * CAT_WORDS);
    at += t.feature.length;
  });
  forest.treeStart[trees.length] = at;
  return forest;
}

/** Tree t of a forest, as views on its arrays. */
export function treeOf(forest: GbdtForest, t: number): GbdtTree {
  const from = forest.treeStart[t]!;
  const to = forest.treeStart[t + 1]!;
  return {
    feature: forest.feature.subarray(from, to),
    threshold: forest.threshold.subarray(from, to),
    missingLeft: forest.missingLeft.subarray(from, to),
    left: forest.left.subarray(from, to),
    right: forest.right.subarray(from, to),
    value: forest.value.subarray(from, to),
    gain: forest.gain.subarray(from, to),
    count: forest.count.subarray(from, to),
    categorical: forest.categorical.subarray(from, to),
    catBits: forest.catBits.subarray(from * CAT_WORDS, to * CAT_WORDS),
  };
}

export function forestToJson(forest: GbdtForest): GbdtForestJson {
  return {
    treeStart: Array.from(forest.treeStart),
    treeClass: Array.from(forest.treeClass),
    feature: Array.from(forest.feature),
    threshold: Array.from(forest.threshold),
    missingLeft: Array.from(forest.missingLeft),
    left: Array.from(forest.left),
    right: Array.from(forest.right),
    value: Array.from(forest.value),
    gain: Array.from(forest.gain),
    count: Array.from(forest.count),
    categorical: Array.from(forest.categorical),
    catBits: Array.from(forest.catBits),
  };
}

/** The forest of a JSON form, checked for consistent lengths and child links (it may come from storage). */
export function forestFromJson(json: GbdtForestJson, width: number, columns: number): GbdtForest {
  const fail = (rule: string): never => {
    throw new Error(`gbdt forest: ${rule}`);
  };
  const keys: (keyof GbdtForestJson)[] = [
    'treeStart',
    'treeClass',
    'feature',
    'threshold',
    'missingLeft',
    'left',
    'right',
    'value',
    'gain',
    'count',
    'categorical',
    'catBits',
  ];
  for (const key of keys) {
    const xs: unknown = json[key];
    if (!Array.isArray(xs) || !xs.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`${key} must be an array of finite numbers`);
  }
  const forest: GbdtForest = {
    treeStart: Int32Array.from(json.treeStart),
    treeClass: Int32Array.from(json.treeClass),
    feature: Int32Array.from(json.feature),
    threshold: Float64Array.from(json.threshold),
    missingLeft: Uint8Array.from(json.missingLeft),
    left: Int32Array.from(json.left),
    right: Int32Array.from(json.right),
    value: Float64Array.from(json.value),
    gain: Float64Array.from(json.gain),
    count: Int32Array.from(json.count),
    categorical: Uint8Array.from(json.categorical),
    catBits: Uint32Array.from(json.catBits),
  };
  const trees = forest.treeClass.length;
  const nodes = forest.feature.length;
  if (forest.treeStart.length !== trees + 1 || forest.treeStart[0] !== 0 || forest.treeStart[trees] !== nodes) {
    fail(`treeStart must have ${trees + 1} entries from 0 to the node count ${nodes}`);
  }
  for (const key of ['threshold', 'missingLeft', 'left', 'right', 'value', 'gain', 'count', 'categorical'] as const) {
    if (forest[key].length !== nodes) fail(`${key} has ${forest[key].length} entries for ${nodes} nodes`);
  }
  if (forest.catBits.length !== nodes * CAT_WORDS) fail(`catBits has ${forest.catBits.length} entries for ${nodes} nodes (${CAT_WORDS} per node)`);
  for (let t = 0; t < trees; t++) {
    const from = forest.treeStart[t]!;
    const size = forest.treeStart[t + 1]! - from;
    if (size < 1) fail(`tree ${t} has no nodes`);
    const c = forest.treeClass[t]!;
    if (c < 0 || c >= columns) fail(`tree ${t} adds to score column ${c}, outside [0, ${columns - 1}]`);
    for (let n = 0; n < size; n++) {
      const f = forest.feature[from + n]!;
      if (f < 0) continue;
      if (f >= width) fail(`tree ${t} node ${n} splits on column ${f} of a ${width}-column matrix`);
      // Children come after their parent: no cycles, every path ends in a leaf.
      for (const child of [forest.left[from + n]!, forest.right[from + n]!]) {
        if (!(child > n && child < size)) fail(`tree ${t} node ${n} has child ${child}, outside (${n}, ${size})`);
      }
    }
  }
  return forest;
}
