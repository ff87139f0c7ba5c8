// ModelInfer's own codecs agree with the generic ones proto-loader builds from the same official proto: what
// a generated client sends decodes to the same tensors, and what the server answers reads back the same.
import { describe, expect, it } from 'vitest';
import { inferenceServiceConstructor } from '../../serving/grpc-client';
import { decodeInferRequest, encodeInferResponse } from '../../serving/grpc-codec';
import { decodeInputs } from '../../serving/grpc';

const generic = inferenceServiceConstructor().service.ModelInfer!;

describe('ModelInfer codecs', () => {
  it('decode what a generated client encodes: typed contents, 64-bit integers, parameters, outputs', () => {
    const bytes = generic.requestSerialize({
      model_name: 'churn',
      model_version: '3',
      id: 'r-1',
      parameters: { trace: { string_param: 'abc' }, big: { int64_param: 2 ** 40 } },
      inputs: [
        { name: 'plan', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from('basic'), Buffer.from('prémium')] } },
        { name: 'age', datatype: 'FP64', shape: [2, 1], contents: { fp64_contents: [41, 29.5] } },
        { name: 'calls', datatype: 'INT64', shape: [2], contents: { int64_contents: [3, 2 ** 53 - 1] } },
      ],
      outputs: [{ name: 'label' }],
    });
    const req = decodeInferRequest(bytes);
    expect(req).toMatchObject({ model_name: 'churn', model_version: '3', id: 'r-1', outputs: [{ name: 'label' }], raw_input_contents: [] });
    expect(req.parameters.trace!.parameter_choice).toBe('string_param');
    expect(decodeInputs(req)).toEqual([
      { name: 'plan', datatype: 'BYTES', shape: [2], data: ['basic', 'prémium'] },
      { name: 'age', datatype: 'FP64', shape: [2, 1], data: [41, 29.5] },
      { name: 'calls', datatype: 'INT64', shape: [2], data: [3, 2 ** 53 - 1] },
    ]);
    // Absent: an optional version is null, the id empty, no inputs.
    expect(decodeInferRequest(generic.requestSerialize({ model_name: 'churn' }))).toMatchObject({ model_version: null, id: '', inputs: [] });
  });

  it('encode what a generated client reads back: bytes and FP32 contents, shapes, parameters', () => {
    const bytes = encodeInferResponse({
      model_name: 'churn',
      model_version: '1',
      id: 'r-1',
      parameters: { arm: { string_param: 'champion' }, n: { int64_param: 2 } },
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], parameters: {}, contents: { bytes_contents: [Buffer.from('0'), Buffer.from('1')] } },
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [2, 2],
          parameters: { classes: { string_param: '["0","1"]' } },
          contents: { fp32_contents: Float32Array.of(0.25, 0.75, 0.5, 0.5) },
        },
      ],
    });
    const res = generic.responseDeserialize(bytes) as {
      parameters: Record<string, { int64_param?: number; string_param?: string }>;
      outputs: {
        name: string;
        shape: number[];
        parameters: Record<string, { string_param: string }>;
        contents: { bytes_contents: Buffer[]; fp32_contents: number[] };
      }[];
    };
    expect(res).toMatchObject({ model_name: 'churn', model_version: '1', id: 'r-1', parameters: { arm: { string_param: 'champion' }, n: { int64_param: 2 } } });
    expect(res.outputs[0]!.contents.bytes_contents.map(String)).toEqual(['0', '1']);
    expect(res.outputs[1]).toMatchObject({ name: 'probabilities', shape: [2, 2], parameters: { classes: { string_param: '["0","1"]' } } });
    expect(res.outputs[1]!.contents.fp32_contents).toEqual([0.25, 0.75, 0.5, 0.5]);
  });
});
