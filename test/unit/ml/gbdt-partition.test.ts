import { describe, expect, it } from 'vitest';
import { fitGbdt } from '../../../core/ml/gbdt';
import { joinChunks, partitionChunk, type PartitionBuffers } from '../../../core/ml/gbdt-partition';
import type { GbdtModel } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

function buffers(rows: number, random: () => number): PartitionBuffers {
  const idx = Int32Array.from({ length: rows }, (_, i) => 3 * i + 1);
  return {
    idx,
    og: Float32Array.from(idx, (r) => r / 7),
    oh: Float32Array.from(idx, () => random()),
    spill: new Int32Array(rows),
    spillG: new Float32Array(rows),
    spillH: new Float32Array(rows),
  };
}

describe('node partition', () => {
  it('is stable, keeps gradients with their rows, and gives the same order in any number of chunks', () => {
    const random = seededRandom(3);
    const n = 5000;
    const bins = Uint8Array.from({ length: 3 * n + 10 }, () => Math.floor(random() * 6));
    const goesLeft = Uint8Array.from({ length: 256 }, (_, b) => Number(b === 1 || b === 4));
    const from = 100;
    const to = 4900;
    const results = [1, 2, 3, 5].map((chunks) => {
      const b = buffers(n, seededRandom(9));
      const cuts = Array.from({ length: chunks + 1 }, (_, c) => from + Math.floor(((to - from) * c) / chunks));
      const lefts = cuts.slice(0, -1).map((at, c) => partitionChunk(bins, 0, goesLeft, b.idx, b.og, b.oh, b.spill, b.spillG, b.spillH, at, cuts[c + 1]!));
      return { mid: joinChunks(b, cuts, lefts), b };
    });
    const original = buffers(n, seededRandom(9));
    const rows = Array.from(original.idx.subarray(from, to));
    const left = rows.filter((r) => goesLeft[bins[r]!] === 1);
    const right = rows.filter((r) => goesLeft[bins[r]!] === 0);
    for (const { mid, b } of results) {
      expect(mid).toBe(from + left.length);
      expect(Array.from(b.idx.subarray(from, to))).toEqual([...left, ...right]);
      expect(Array.from(b.idx.subarray(0, from))).toEqual(Array.from(original.idx.subarray(0, from)));
      for (let i = from; i < to; i++) expect(b.og[i]).toBe(Math.fround(b.idx[i]! / 7));
      expect(Array.from(b.oh)).toEqual(Array.from(results[0]!.b.oh));
    }
  });

  it('splits large nodes over threads without changing the model', async () => {
    const random = seededRandom(11);
    const normal = normalFrom(random);
    const rows = 150_000;
    const values = new Float64Array(rows * 3);
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const x = normal();
      const code = Math.floor(random() * 12);
      values.set([x, code, random() < 0.05 ? NaN : normal()], r * 3);
      labels[r] = random() < 1 / (1 + Math.exp(-(x + (code % 3) - 1))) ? 1 : 0;
    }
    const fit = (threads: number): Promise<GbdtModel> =>
      fitGbdt({ rows, cols: 3, values }, { labels, classes: ['0', '1'] }, { maxIter: 4, maxLeaves: 15 }, { threads, categories: [0, 12, 0] });
    expect(modelJson(await fit(2))).toBe(modelJson(await fit(1)));
  });
});
