// Open Inference Protocol tensors: raw contents decode as the protocol lays them out (little-endian, BYTES
// length-prefixed), and tensors become rows only when they fit the model's columns.
import { describe, expect, it } from 'vitest';
import type { ServedModel } from '../../serving/model-host';
import { decodeRaw, inputMetadata, outputTensors, rowsFromTensors } from '../../serving/v2-tensors';

const model = {
  name: 'm',
  task: 'binary',
  classes: ['no', 'yes'],
  featureSets: [],
  derive: [{ name: 'month', op: 'month', input: 'day' }],
  fields: new Map([
    ['age', 'numeric'],
    ['plan', 'categorical'],
    ['day', 'numeric'],
  ]),
} as unknown as ServedModel;

describe('V2 tensors', () => {
  it('decodes raw contents of every fixed-size datatype, little-endian, numbers into typed arrays', () => {
    const b = Buffer.alloc(16);
    b.writeDoubleLE(1.5, 0);
    b.writeDoubleLE(-2, 8);
    expect(decodeRaw('x', 'FP64', [2], b)).toEqual(Float64Array.of(1.5, -2));
    const f = Buffer.alloc(8);
    f.writeFloatLE(0.25, 0);
    f.writeFloatLE(3, 4);
    expect(decodeRaw('x', 'FP32', [2, 1], f)).toEqual(Float32Array.of(0.25, 3));
    const i = Buffer.alloc(16);
    i.writeBigInt64LE(-7n, 0);
    i.writeBigInt64LE(9007199254740991n, 8);
    expect(decodeRaw('x', 'INT64', [2], i)).toEqual([-7, 9007199254740991]);
    expect(decodeRaw('x', 'INT32', [1], Buffer.from([0xff, 0xff, 0xff, 0xff]))).toEqual(Int32Array.of(-1));
    expect(decodeRaw('x', 'UINT16', [1], Buffer.from([0x01, 0x02]))).toEqual(Uint32Array.of(0x0201));
    expect(decodeRaw('x', 'BOOL', [3], Buffer.from([0, 1, 2]))).toEqual([false, true, true]);
  });

  it('decodes raw BYTES as 4-byte lengths and UTF-8, and refuses a truncated element naming the input', () => {
    const el = (s: string) => {
      const t = Buffer.from(s);
      const n = Buffer.alloc(4);
      n.writeUInt32LE(t.length);
      return Buffer.concat([n, t]);
    };
    expect(decodeRaw('plan', 'BYTES', [3], Buffer.concat([el('basic'), el(''), el('prémium')]))).toEqual(['basic', '', 'prémium']);
    expect(() => decodeRaw('plan', 'BYTES', [1], el('basic').subarray(0, 6))).toThrow(/input plan: raw BYTES element 0 claims 5 bytes, past the end/);
    expect(() => decodeRaw('age', 'FP64', [2], Buffer.alloc(12))).toThrow(/input age: raw contents hold 12 bytes, shape \[2\] of FP64 needs 16/);
    expect(() => decodeRaw('age', 'FP16', [1], Buffer.alloc(2))).toThrow(/input age: FP16 is not supported/);
  });

  it('builds rows from one tensor per column, dates as BYTES, extra tensors passed through', () => {
    const rows = rowsFromTensors(model, [
      { name: 'age', datatype: 'INT64', shape: [2, 1], data: [40, 50] },
      { name: 'plan', datatype: 'BYTES', shape: [2], data: ['a', null] },
      { name: 'day', datatype: 'BYTES', shape: [2], data: ['2024-01-02', '2024-03-04'] },
      { name: 'customer', datatype: 'BYTES', shape: [2], data: ['c1', 'c2'] },
    ]);
    expect(rows).toEqual([
      { age: 40, plan: 'a', day: '2024-01-02', customer: 'c1' },
      { age: 50, plan: null, day: '2024-03-04', customer: 'c2' },
    ]);
    expect(inputMetadata(model)).toEqual([
      { name: 'age', datatype: 'FP64', shape: [-1] },
      { name: 'plan', datatype: 'BYTES', shape: [-1] },
      { name: 'day', datatype: 'BYTES', shape: [-1] },
    ]);
    expect(() =>
      rowsFromTensors(model, [
        { name: 'age', datatype: 'FP64', shape: [1], data: [1] },
        { name: 'day', datatype: 'FP64', shape: [1], data: [1] },
      ]),
    ).toThrow(/input plan is missing \(model m reads age, plan, day\)/);
    // As many tensors as columns, one of them not a column: the missing one is still named.
    expect(() =>
      rowsFromTensors(model, [
        { name: 'age', datatype: 'FP64', shape: [1], data: [1] },
        { name: 'day', datatype: 'FP64', shape: [1], data: [1] },
        { name: 'customer', datatype: 'BYTES', shape: [1], data: ['c1'] },
      ]),
    ).toThrow(/input plan is missing/);
    expect(() => rowsFromTensors(model, [])).toThrow(/non-empty list/);
  });

  it('writes probabilities [n, k] in class order, with the classes in the tensor parameters', () => {
    const out = outputTensors(model, [
      { id: 'a', label: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
      { id: 'b', label: 'no', probabilities: { yes: 0.5, no: 0.5 } },
    ]);
    expect(out[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [2], data: ['yes', 'no'] });
    expect(out[1]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2], parameters: { classes: '["no","yes"]' } });
    expect(Array.from(out[1]!.data as Float32Array)).toEqual([0.25, 0.75, 0.5, 0.5]);
  });
});
