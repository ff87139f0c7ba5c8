import { describe, expect, it } from 'vitest';
import { binMatrix, fitBinEdges, sortFloat32 } from '../../../core/ml/gbdt-binning';
import { histogramLayout } from '../../../core/ml/gbdt-histogram';
import { sharedHistogramBuffers, startHistogramBuilder } from '../../../core/ml/gbdt-threads';
import type { Matrix } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

const column = (xs: number[]): Matrix => ({ rows: xs.length, cols: 1, values: Float64Array.from(xs) });
const f32 = Math.fround;

/** The next float32 above / below a float32 value x > 0. */
function float32Neighbours(x: number): [number, number] {
  const b = new Float32Array([x]);
  const u = new Uint32Array(b.buffer);
  u[0] = u[0]! + 1;
  const up = b[0]!;
  u[0] = u[0]! - 2;
  return [b[0]!, up];
}

describe('sortFloat32', () => {
  it('orders finite float32 values as TypedArray sort does: negatives, −0 before 0, subnormals, extremes, ties', () => {
    const random = seededRandom(12);
    const special = [0, -0, 1.4e-45, -1.4e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1, -1, 1, 0];
    const values = Float64Array.from({ length: 50_000 }, (_, i) =>
      i < special.length ? f32(special[i]!) : f32((random() - 0.5) * 10 ** Math.floor(random() * 20 - 10)),
    );
    const expected = Float64Array.from(values).sort();
    const sorted = sortFloat32(Float64Array.from(values));
    expect(Array.from(sorted, (x) => (Object.is(x, -0) ? '-0' : String(x)))).toEqual(Array.from(expected, (x) => (Object.is(x, -0) ? '-0' : String(x))));
  });
});

describe('fitBinEdges', () => {
  it('puts one edge between each pair of consecutive distinct values when there are few, at their float32 midpoint', () => {
    const edges = fitBinEdges(column([3, 1, 2, 2, NaN, 1, Infinity, 0.1]), 255, 200_000, 0)[0]!;
    expect(Array.from(edges)).toEqual([f32((f32(0.1) + 1) / 2), 1.5, 2.5]);
  });

  it('keeps adjacent float32 values in different bins (the edge is the lower value when no float32 lies between)', () => {
    const [, up] = float32Neighbours(1);
    const edges = fitBinEdges(column([1, up, 1, up]), 255, 200_000, 0)[0]!;
    expect(Array.from(edges)).toEqual([1]);
    expect(Array.from(binMatrix(column([1, up]), [edges]).bins)).toEqual([0, 1]);
  });

  it('treats values equal in float32 as one value', () => {
    const edges = fitBinEdges(column([0.1, f32(0.1), 0.1 + 1e-12, 5]), 255, 200_000, 0)[0]!;
    expect(edges).toHaveLength(1);
  });

  it('uses at most maxBins value bins of roughly equal counts on many distinct values', () => {
    const normal = normalFrom(seededRandom(3));
    const m = column(Array.from({ length: 50_000 }, () => normal()));
    const edges = fitBinEdges(m, 16, 200_000, 0)[0]!;
    expect(edges.length).toBeLessThanOrEqual(15);
    expect(edges.length).toBeGreaterThanOrEqual(14);
    const binned = binMatrix(m, [edges]);
    const counts = new Array<number>(edges.length + 2).fill(0);
    for (const b of binned.bins) counts[b]!++;
    for (const c of counts.slice(0, -1)) expect(c).toBeGreaterThan(50_000 / 16 / 2);
    expect(counts.at(-1)).toBe(0); // no missing values
  });

  it('places edges on a seeded subsample: the same seed gives the same edges', () => {
    const random = seededRandom(8);
    const m = column(Array.from({ length: 20_000 }, () => random()));
    const a = fitBinEdges(m, 255, 1000, 1)[0]!;
    expect(fitBinEdges(m, 255, 1000, 1)[0]).toEqual(a);
    expect(fitBinEdges(m, 255, 1000, 2)[0]).not.toEqual(a);
    expect(fitBinEdges(m, 255, 20_000, 1)[0]).not.toEqual(a);
  });

  it('gives a column without two distinct finite values no edges', () => {
    const edges = fitBinEdges({ rows: 3, cols: 2, values: Float64Array.of(7, NaN, 7, NaN, 7, NaN) }, 255, 10, 0);
    expect(edges.map((e) => e.length)).toEqual([0, 0]);
  });
});

describe('binMatrix', () => {
  it('bins column-major, with NaN, ±Infinity and values beyond float32 range in the missing bin', () => {
    const m: Matrix = { rows: 4, cols: 2, values: Float64Array.of(0, NaN, 1, Infinity, 2, -Infinity, 3, 1e39) };
    const binned = binMatrix(m, [Float64Array.of(0.5, 1.5, 2.5), Float64Array.of(0)]);
    expect(Array.from(binned.valueBins)).toEqual([4, 2]);
    expect(Array.from(binned.bins)).toEqual([0, 1, 2, 3, 2, 2, 2, 2]);
  });

  it('puts a value in a bin ≤ b exactly when f32(value) ≤ edges[b], on and around every edge', () => {
    const normal = normalFrom(seededRandom(21));
    const train = column(Array.from({ length: 5000 }, () => normal() * 1000));
    const edges = fitBinEdges(train, 255, 200_000, 0)[0]!;
    const probes: number[] = [];
    for (const e of edges) {
      if (e <= 0) continue;
      const [down, up] = float32Neighbours(e);
      probes.push(e, down, up, e + 1e-9, e - 1e-9, (e + up) / 2);
    }
    const bins = binMatrix(column(probes), [edges]).bins;
    const disagreements: string[] = [];
    probes.forEach((v, i) => {
      for (let b = 0; b < edges.length; b++) if (bins[i]! <= b !== f32(v) <= edges[b]!) disagreements.push(`${v} vs edge ${b}`);
    });
    expect(probes.length).toBeGreaterThan(500);
    expect(disagreements).toEqual([]);
  });
});

describe('histogram threads', () => {
  it('start workers that build the same histogram bits as the calling thread alone', async () => {
    const random = seededRandom(5);
    const rows = 30_000;
    // columns 0–4 continuous with 5% NaN; 5–10 mostly 0 (one-hot like) or mostly missing: built by skipping
    const cols = 11;
    const value = (j: number): number => (j < 5 ? (random() < 0.05 ? NaN : random()) : j === 10 ? (random() < 0.9 ? NaN : random()) : Number(random() < 0.1));
    const m: Matrix = { rows, cols, values: Float64Array.from({ length: rows * cols }, (_, i) => value(i % cols)) };
    const binned = binMatrix(m, fitBinEdges(m, 255, 200_000, 0));
    expect(Array.from(binned.skipBin)).toEqual([-1, -1, -1, -1, -1, 0, 0, 0, 0, 0, binned.valueBins[10]]);
    const layout = histogramLayout(binned);
    const order = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % rows); // a permutation (7919 is prime)
    // float32 values: what the builder's buffers hold
    const g = Float64Array.from({ length: rows }, () => Math.fround(random() - 0.5));
    const h = Float64Array.from({ length: rows }, () => Math.fround(random()));
    const build = async (threads: number): Promise<{ threads: number; hists: Float64Array[] }> => {
      const buffers = sharedHistogramBuffers(rows, layout, 2);
      buffers.idx.set(order);
      buffers.og.set(g);
      buffers.oh.set(h);
      const builder = await startHistogramBuilder(binned, layout, buffers, threads);
      const sums = (from: number, to: number): { g: number; h: number; count: number } => {
        let sg = 0;
        let sh = 0;
        for (let i = from; i < to; i++) {
          sg += g[i]!;
          sh += h[i]!;
        }
        return { g: sg, h: sh, count: to - from };
      };
      try {
        builder.build(0, 0, rows, true, sums(0, rows));
        builder.build(1, 100, rows - 50, false, sums(100, rows - 50));
        return { threads: builder.threads, hists: buffers.hists.map((x) => Float64Array.from(x)) };
      } finally {
        await builder.close();
      }
    };
    const single = await build(1);
    const parallel = await build(3);
    expect(single.threads).toBe(1);
    expect(parallel.threads).toBe(3);
    expect(parallel.hists).toEqual(single.hists);
    const counts = (x: Float64Array): number => x.filter((_, i) => i % 3 === 2).reduce((a, b) => a + b, 0);
    expect(counts(single.hists[0]!)).toBe(rows * cols);
    expect(counts(single.hists[1]!)).toBe((rows - 150) * cols);
    // the skipped bin of a sparse column holds what direct summing gives
    const base = 3 * layout.start[6]!;
    let direct = 0;
    for (let i = 0; i < rows; i++) if (binned.bins[6 * rows + i] === 0) direct += g[i]!;
    expect(single.hists[0]![base]).toBeCloseTo(direct, 9);
    expect(single.hists[0]![base + 2]).toBe(Array.from(binned.bins.subarray(6 * rows, 7 * rows)).filter((b) => b === 0).length);
  });
});
