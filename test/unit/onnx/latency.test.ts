import { describe, expect, it } from 'vitest';
import { fitEncodingPlan } from '../../../core/features/encode';
import { MAX_BATCH_ROWS, measureLatency } from '../../../core/onnx/latency';
import { exportLinearOnnx } from '../../../core/onnx/linear';
import { CHOICES, churnColumns, multinomialModel } from './linear-fixtures';

describe('ONNX serving latency', () => {
  it('measures single-row percentiles and batch throughput in onnxruntime-node', async () => {
    const { columns, trainIdx } = churnColumns(20_000, 15_000);
    const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
    const { bytes } = exportLinearOnnx(plan, multinomialModel(plan.width), { name: 'tier', version: 1 });
    const latency = await measureLatency(bytes, columns, 2000);
    expect(latency.singleRowCalls).toBe(2000);
    expect(latency.batchRows).toBe(20_000);
    expect(latency.p50Ms).toBeGreaterThan(0);
    expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p50Ms);
    // How fast is for bench/; here only that the measurement is well-formed.
    expect(Number.isFinite(latency.batchRowsPerSec) && latency.batchRowsPerSec > 0).toBe(true);
  });

  it('times batch scoring on a bounded number of rows, whatever the table size', async () => {
    const { columns, trainIdx } = churnColumns(MAX_BATCH_ROWS + 5_000, 15_000);
    const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
    const { bytes } = exportLinearOnnx(plan, multinomialModel(plan.width), { name: 'tier', version: 1 });
    const latency = await measureLatency(bytes, columns, 10);
    expect(latency.batchRows).toBe(MAX_BATCH_ROWS);
  });
});
