// Grows one regression tree on gradients and hessians, best-first (leaf-wise): the leaf whose best split gains
// most is split next, until `maxLeaves` leaves or no leaf can split. A node's rows are a range of one index
// array, partitioned stably in place on each split (gbdt-partition.ts); only the smaller child's histogram is built from its rows,
// the larger one's is its parent's minus the smaller's.
import type { BinnedMatrix } from './gbdt-binning';
import type { GbdtTree } from './gbdt-forest';
import { subtractHistogram, type HistogramLayout } from './gbdt-histogram';
import { findBestSplit, leftBins, type NodeSums, type Split } from './gbdt-split';
import type { HistogramBuffers, HistogramBuilder } from './gbdt-threads';
import { CAT_WORDS, type GbdtParams } from './model';

/** The largest float32: the threshold of a split that sends every value left and only missing values right. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface GrownTree {
  tree: GbdtTree;
  /** The leaves, with the range of the grower's `rows` index array that holds their training rows. */
  leaves: { node: number; from: number; to: number }[];
  /**
   * Per split node j, at [256j, 256j + 256): 1 for the bins (value bins, then the missing bin) it sends left.
   * Reused by the next grow().
   */
  nodeBins: Uint8Array;
}

export interface TreeGrower {
  /** Training row indices, grouped by leaf after each grow() (see GrownTree.leaves). */
  rows: Int32Array;
  /** Grows a tree on score column k's gradients and hessians (the builder's row buffers). */
  grow(k: number): GrownTree;
}

interface Leaf {
  node: number;
  from: number;
  to: number;
  depth: number;
  sums: NodeSums;
  /** Index of its histogram in buffers.hists, −1 when it has none. */
  hist: number;
  split: Split | undefined;
}

/**
 * A grower over the binned training matrix. `buffers` (row index, gathered gradients, params.maxLeaves
 * histograms) are allocated once and reused by every grow(); `builder` fills histograms from them.
 */
export function createTreeGrower(
  binned: BinnedMatrix,
  edges: readonly Float64Array[],
  params: GbdtParams,
  layout: HistogramLayout,
  buffers: HistogramBuffers,
  builder: HistogramBuilder,
  categories: Int32Array,
): TreeGrower {
  const n = binned.rows;
  const { idx: rows, hists } = buffers;
  if (hists.length < params.maxLeaves) throw new Error(`gbdt: ${hists.length} histogram buffers for ${params.maxLeaves} leaves (internal error)`);
  const pool: number[] = hists.map((_, i) => i);
  const rule = {
    l2: params.l2,
    minSamplesLeaf: params.minSamplesLeaf,
    minHessianLeaf: params.minHessianLeaf,
    minCategoryRows: params.minCategoryRows,
    categorySmoothing: params.categorySmoothing,
    maxCategoriesPerSplit: params.maxCategoriesPerSplit,
  };
  const categorical = Uint8Array.from(categories, (c) => (c > 0 ? 1 : 0));
  const nodeBins = new Uint8Array(256 * (2 * params.maxLeaves - 1));

  const splittable = (leaf: Leaf): boolean => leaf.to - leaf.from >= 2 * params.minSamplesLeaf && (params.maxDepth === null || leaf.depth < params.maxDepth);
  const evaluate = (leaf: Leaf): void => {
    leaf.split = leaf.hist >= 0 && splittable(leaf) ? findBestSplit(hists[leaf.hist]!, layout, binned.valueBins, categorical, leaf.sums, rule) : undefined;
    if (leaf.split === undefined) release(leaf);
  };
  const release = (leaf: Leaf): void => {
    if (leaf.hist >= 0) pool.push(leaf.hist);
    leaf.hist = -1;
  };
  const histogramOf = (leaf: Leaf, identity: boolean): number => {
    const h = pool.pop();
    if (h === undefined) throw new Error('gbdt: histogram pool exhausted (internal error)');
    builder.build(h, leaf.from, leaf.to, identity, leaf.sums);
    return h;
  };

  return {
    rows,
    grow(k) {
      const nodes = new NodeList();
      // The root's sums from the float32 values the histograms add up (their skipped bins are sums minus bins).
      const { g, h } = builder.root(k);
      const root: Leaf = { node: nodes.add(n), from: 0, to: n, depth: 0, sums: { g, h, count: n }, hist: -1, split: undefined };
      if (splittable(root)) root.hist = histogramOf(root, true);
      evaluate(root);
      const leaves: Leaf[] = [root];

      while (leaves.length < params.maxLeaves) {
        let best = -1;
        for (let i = 0; i < leaves.length; i++) {
          const s = leaves[i]!.split;
          if (s !== undefined && (best < 0 || s.gain > leaves[best]!.split!.gain)) best = i;
        }
        if (best < 0) break;
        const parent = leaves[best]!;
        const split = parent.split!;
        const goesLeft = leftBins(split, binned.valueBins[split.feature]!);
        nodeBins.set(goesLeft, 256 * parent.node);
        const mid = builder.partition(parent.from, parent.to, split.feature, goesLeft);
        const left: Leaf = {
          node: nodes.add(split.left.count),
          from: parent.from,
          to: mid,
          depth: parent.depth + 1,
          sums: split.left,
          hist: -1,
          split: undefined,
        };
        const right: Leaf = {
          node: nodes.add(split.right.count),
          from: mid,
          to: parent.to,
          depth: parent.depth + 1,
          sums: split.right,
          hist: -1,
          split: undefined,
        };
        nodes.setSplit(parent.node, split, split.bin < edges[split.feature]!.length ? edges[split.feature]![split.bin]! : FLOAT32_MAX, left.node, right.node);
        leaves.splice(best, 1, left, right);

        if (leaves.length < params.maxLeaves && (splittable(left) || splittable(right))) {
          const [small, large] = left.to - left.from <= right.to - right.from ? [left, right] : [right, left];
          small.hist = histogramOf(small, false);
          if (splittable(large)) {
            large.hist = parent.hist;
            parent.hist = -1;
            subtractHistogram(hists[large.hist]!, hists[small.hist]!);
          }
          evaluate(small);
          evaluate(large);
        }
        release(parent);
      }
      for (const leaf of leaves) {
        release(leaf);
        nodes.setLeaf(leaf.node, leafValue(leaf.sums, params));
      }
      return { tree: nodes.toTree(), leaves: leaves.map((l) => ({ node: l.node, from: l.from, to: l.to })), nodeBins };
    },
  };
}

/** −G / (H + λ) × learning rate, rounded to float32 (what the exported trees hold); −0 stored as 0. */
function leafValue(sums: NodeSums, params: GbdtParams): number {
  const d = sums.h + params.l2;
  const v = d > 0 ? Math.fround((-sums.g / d) * params.learningRate) : 0;
  return v === 0 || !Number.isFinite(v) ? 0 : v;
}

/** Nodes of the tree being grown, numbered in creation order (root 0). */
class NodeList {
  private feature: number[] = [];
  private threshold: number[] = [];
  private missingLeft: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private value: number[] = [];
  private gain: number[] = [];
  private count: number[] = [];
  private categorical: number[] = [];
  private catBits: number[] = [];

  add(count: number): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.missingLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push(0);
    this.gain.push(0);
    this.count.push(count);
    this.categorical.push(0);
    for (let w = 0; w < CAT_WORDS; w++) this.catBits.push(0);
    return this.feature.length - 1;
  }

  setSplit(node: number, split: Split, threshold: number, left: number, right: number): void {
    this.feature[node] = split.feature;
    this.threshold[node] = threshold;
    this.missingLeft[node] = split.missingLeft ? 1 : 0;
    this.left[node] = left;
    this.right[node] = right;
    this.gain[node] = split.gain;
    if (split.set !== undefined) {
      this.threshold[node] = 0;
      this.categorical[node] = 1;
      for (let w = 0; w < CAT_WORDS; w++) this.catBits[node * CAT_WORDS + w] = split.set[w]!;
    }
  }

  setLeaf(node: number, value: number): void {
    this.value[node] = value;
  }

  toTree(): GbdtTree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      gain: Float64Array.from(this.gain),
      count: Int32Array.from(this.count),
      categorical: Uint8Array.from(this.categorical),
      catBits: Uint32Array.from(this.catBits),
    };
  }
}
