// Dynamic batching in front of a real onnxruntime session: concurrent small batches share one call and
// every caller gets exactly the answer it would have had alone.
import { describe, expect, it } from 'vitest';
import { fitEncodingPlan } from '../../../core/features/encode';
import { coalescing, COALESCE_MAX_ROWS } from '../../../core/onnx/coalesce';
import { feedsFromColumns, type OnnxFeeds } from '../../../core/onnx/feeds';
import { exportLinearOnnx } from '../../../core/onnx/linear';
import { createOnnxScorer, type OnnxOutputs, type OnnxScorer } from '../../../core/onnx/score';
import { CHOICES, churnColumns, multinomialModel } from './linear-fixtures';

/** The real scorer, with the number of calls and rows it received. */
async function counted(): Promise<{ scorer: OnnxScorer; calls: number[]; columns: ReturnType<typeof churnColumns>['columns'] }> {
  const { columns, trainIdx } = churnColumns(2_000, 1_500);
  const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
  const inner = await createOnnxScorer(exportLinearOnnx(plan, multinomialModel(plan.width), { name: 'tier', version: 1 }).bytes);
  const calls: number[] = [];
  const scorer: OnnxScorer = {
    ...inner,
    score: (feeds) => {
      calls.push(Object.values(feeds)[0]!.length);
      return inner.score(feeds);
    },
  };
  return { scorer, calls, columns };
}

const rows = (from: number, n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => from + i);

describe('coalescing ONNX scorer', () => {
  it('scores concurrent small batches in one call, each caller getting its own rows', async () => {
    const { scorer, calls, columns } = await counted();
    const alone = await Promise.all(Array.from({ length: 40 }, (_, i) => scorer.score(feedsFromColumns(scorer.inputs, columns, rows(i * 3, 1 + (i % 3))))));
    expect(calls).toHaveLength(40);

    calls.length = 0;
    const merged = coalescing(scorer);
    const together = await Promise.all(Array.from({ length: 40 }, (_, i) => merged.score(feedsFromColumns(scorer.inputs, columns, rows(i * 3, 1 + (i % 3))))));
    expect(calls).toEqual([79]); // 40 callers of 1, 2, 3, 1, … rows
    // The same labels; probabilities the same up to float32 rounding (the batched kernels sum in another order).
    together.forEach((out, i) => {
      expect(out.label).toEqual(alone[i]!.label);
      const p = out.probabilities as Float32Array;
      expect(p).toHaveLength(alone[i]!.probabilities!.length);
      p.forEach((v, j) => expect(Math.abs(v - (alone[i]!.probabilities as Float32Array)[j]!)).toBeLessThan(1e-6));
    });
    await scorer.release();
  });

  it('runs large batches and lone calls as they are', async () => {
    const { scorer, calls, columns } = await counted();
    const merged = coalescing(scorer);
    await merged.score(feedsFromColumns(scorer.inputs, columns, rows(0, 5)));
    await Promise.all([
      merged.score(feedsFromColumns(scorer.inputs, columns, rows(0, COALESCE_MAX_ROWS + 1))),
      merged.score(feedsFromColumns(scorer.inputs, columns, rows(0, 2))),
    ]);
    expect(calls).toEqual([5, COALESCE_MAX_ROWS + 1, 2]);
    await scorer.release();
  });

  it("keeps a bad feed's error to its own caller", async () => {
    const { scorer, columns } = await counted();
    const merged = coalescing(scorer);
    const good = feedsFromColumns(scorer.inputs, columns, rows(0, 2));
    const numeric = scorer.inputs.find((i) => i.type === 'float32')!.name;
    const wrongType: OnnxFeeds = { ...good, [numeric]: ['a', 'b'] };
    const missing: OnnxFeeds = Object.fromEntries(Object.entries(good).filter(([k]) => k !== numeric));
    const results = await Promise.allSettled([merged.score(good), merged.score(wrongType), merged.score(missing), merged.score(good)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(new RegExp(`ONNX input "${numeric}" takes float32`));
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(new RegExp(`ONNX input "${numeric}" has no feed`));
    expect((results[0] as PromiseFulfilledResult<OnnxOutputs>).value.label).toEqual((await scorer.score(good)).label);
    await scorer.release();
  });
});
