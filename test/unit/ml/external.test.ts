// The external-trainer contract on this side: the spec block, the trainer's result, and the ONNX checks
// (built here with the product's own exporter, so the unit suite needs no Python).
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { fitEncodingPlan } from '../../../core/features/encode';
import { externalAlgorithm, parseTrainResult } from '../../../core/ml/external';
import { checkExternalOnnx } from '../../../core/ml/external-onnx';
import { exportLinearOnnx } from '../../../core/onnx/linear';
import { scoreOnnx } from '../../../core/onnx/score';
import { parseSpec } from '../../../core/spec';
import { CHOICES, churnColumns, multinomialModel, ridgeModel } from '../onnx/linear-fixtures';

const { columns, trainIdx } = churnColumns(200, 150);
const plan = fitEncodingPlan(columns, CHOICES, trainIdx);
const features = columns.map((c) => ({ name: c.name, kind: c.kind }));
const classifier = exportLinearOnnx(plan, multinomialModel(plan.width), { name: 'tier', version: 1 }).bytes;
const regressor = exportLinearOnnx(plan, ridgeModel(plan.width), { name: 'spend', version: 1 }).bytes;

describe('training.external in the spec', () => {
  it('fills in the timeouts and keeps the params', () => {
    const spec = parseSpec({ data: { uri: 'x.csv' }, target: 'y', training: { external: { taskQueue: 'py', params: { algorithm: 'x' } } } });
    expect(spec.training.external).toEqual({ taskQueue: 'py', params: { algorithm: 'x' }, timeout: '2h', heartbeat: '5m', scheduleTimeout: '10m' });
  });

  it('names the field that is wrong', () => {
    const parse = (external: unknown) => () => parseSpec({ data: { uri: 'x.csv' }, target: 'y', training: { external } });
    expect(parse({})).toThrow(/spec.training.external.taskQueue is required: the task queue the trainer polls/);
    expect(parse({ taskQueue: 'q', heartbeat: 'soon' })).toThrow(/spec.training.external.heartbeat must be a duration like "30s", "5m" or "2h", got "soon"/);
    expect(parse({ taskQueue: 'q', image: 'x' })).toThrow(/spec.training.external.image is not a field of training.external/);
  });
});

describe("the trainer's result", () => {
  it('must name the output it was given and its framework', () => {
    const ok = parseTrainResult({ uri: 's3://b/m.onnx', framework: 'scikit-learn 1.9.1', params: { C: 1 }, codeVersion: 'v1' }, 's3://b/m.onnx');
    expect(ok).toEqual({ uri: 's3://b/m.onnx', framework: 'scikit-learn 1.9.1', params: { C: 1 }, codeVersion: 'v1' });
    expect(externalAlgorithm(ok.framework)).toBe('external:scikit-learn');
    expect(() => parseTrainResult({ uri: 's3://b/other.onnx', framework: 'x', params: {} }, 's3://b/m.onnx')).toThrow(
      /result.uri must be the output uri it was given/,
    );
    expect(() => parseTrainResult({ uri: 's3://b/m.onnx', params: {} }, 's3://b/m.onnx')).toThrow(/result.framework must be a string/);
  });
});

describe('an ONNX model from an external trainer', () => {
  it('passes when it has one input per feature and label/probabilities over the classes', async () => {
    const { signature } = await checkExternalOnnx(classifier, features, 'multiclass', ['high', 'low', 'mid']);
    expect(signature.inputs.map((i) => [i.name, i.type])).toEqual(features.map((f) => [f.name, f.kind === 'numeric' ? 'float32' : 'string']));
    expect(signature.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
  });

  it('names a missing input, an input of the wrong type and an input that is no feature', async () => {
    await expect(checkExternalOnnx(classifier, [...features, { name: 'tenure', kind: 'numeric' }], 'multiclass', ['a', 'b', 'c'])).rejects.toThrow(
      'ONNX input "tenure" is missing',
    );
    const wrongKind = features.map((f) => (f.name === 'age' ? { ...f, kind: 'categorical' as const } : f));
    await expect(checkExternalOnnx(classifier, wrongKind, 'multiclass', ['a', 'b', 'c'])).rejects.toThrow(
      'ONNX input "age" must be a string tensor (categorical feature), got float32',
    );
    await expect(
      checkExternalOnnx(
        classifier,
        features.filter((f) => f.name !== 'plan'),
        'multiclass',
        ['a', 'b', 'c'],
      ),
    ).rejects.toThrow('ONNX input "plan" is not one of the features');
  });

  it('names the probabilities output when it does not have one column per class', async () => {
    await expect(checkExternalOnnx(classifier, features, 'binary', ['no', 'yes'])).rejects.toThrow('ONNX output "probabilities" must have shape [N,2]');
    await expect(checkExternalOnnx(regressor, features, 'binary', ['no', 'yes'])).rejects.toThrow('ONNX output "label" is missing');
  });

  it('takes a regression output named variable and serves it as value', async () => {
    const proto = onnx.ModelProto.decode(regressor);
    for (const node of proto.graph!.node!) node.output = node.output!.map((o) => (o === 'value' ? 'variable' : o));
    for (const o of proto.graph!.output!) if (o.name === 'value') o.name = 'variable';
    const renamed = onnx.ModelProto.encode(proto).finish();
    const { bytes, signature } = await checkExternalOnnx(renamed, features, 'regression', []);
    expect(signature.outputs).toEqual([{ name: 'value', type: 'float32', shape: [-1, 1] }]);
    const feeds = { age: Float32Array.of(30), income: Float32Array.of(1000), plan: ['pro'], size: ['M'] };
    expect(Object.keys(await scoreOnnx(bytes, feeds))).toEqual(['value']);
    expect((await scoreOnnx(bytes, feeds)).value).toEqual((await scoreOnnx(regressor, feeds)).value);
  });

  it('refuses bytes that are not a model onnxruntime can load', async () => {
    await expect(checkExternalOnnx(new TextEncoder().encode('not a model at all'), features, 'binary', ['a', 'b'])).rejects.toThrow(
      /not an ONNX model|cannot load/,
    );
  });
});
