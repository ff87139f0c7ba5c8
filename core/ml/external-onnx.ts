// Checks an ONNX model from a trainer outside TypeScript against the contract (docs/trainers.md) and that
// onnxruntime-node loads it, naming the input or output that is wrong.
import { InferenceSession } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { DataColumn } from '../data/columns';
import { OUTPUT, type OnnxInputSpec, type OnnxSignature } from '../onnx/signature';
import type { Task } from '../spec';
import { ExternalModelError } from './external';

const dims = (m: InferenceSession.ValueMetadata): string =>
  m.isTensor ? `[${m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 'N')).join(',')}]` : 'a non-tensor';
const fixed = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);

/**
 * Checks the model's inputs and outputs against the contract and that onnxruntime-node loads it. A regression
 * output named `variable` (skl2onnx's name) is renamed `value`, the name the server reads; otherwise the bytes
 * are returned unchanged.
 */
export async function checkExternalOnnx(
  bytes: Uint8Array,
  features: Pick<DataColumn, 'name' | 'kind'>[],
  task: Task,
  classes: string[],
): Promise<{ bytes: Uint8Array; signature: OnnxSignature }> {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ExternalModelError(`the trainer's output is not an ONNX model: ${(err as Error).message}`);
  }
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, { logSeverityLevel: 3 });
  } catch (err) {
    throw new ExternalModelError(`onnxruntime-node cannot load the trainer's ONNX model: ${(err as Error).message}`);
  }
  try {
    const byName = new Map(session.inputMetadata.map((m) => [m.name, m]));
    const wanted = new Set(features.map((f) => f.name));
    for (const m of session.inputMetadata) {
      if (!wanted.has(m.name))
        throw new ExternalModelError(
          `ONNX input "${m.name}" is not one of the features (${[...wanted].join(', ')}); the contract is one input per feature, named after it`,
        );
    }
    const inputs: OnnxInputSpec[] = features.map((f) => {
      const m = byName.get(f.name);
      if (!m) throw new ExternalModelError(`ONNX input "${f.name}" is missing: the contract is one input per feature, named after it`);
      const type = f.kind === 'numeric' ? 'float32' : 'string';
      if (!m.isTensor || m.type !== type)
        throw new ExternalModelError(
          `ONNX input "${f.name}" must be a ${type === 'float32' ? 'float' : 'string'} tensor (${f.kind} feature), got ${m.isTensor ? m.type : 'a non-tensor'}`,
        );
      if (m.shape.length !== 2 || (fixed(m.shape[1]) ?? 1) !== 1 || fixed(m.shape[0]) !== undefined)
        throw new ExternalModelError(`ONNX input "${f.name}" must have shape [N,1], got ${dims(m)}`);
      return { name: f.name, type, shape: [-1, 1] };
    });
    const outs = new Map(session.outputMetadata.map((m) => [m.name, m]));
    const map = session.outputMetadata.find((m) => !m.isTensor);
    if (map)
      throw new ExternalModelError(
        `ONNX output "${map.name}" is not a tensor (a ZipMap?): the contract is plain tensors, label [N] and probabilities [N,C] float; export without ZipMap (skl2onnx: options={"zipmap": False})`,
      );
    const outputs: OnnxSignature['outputs'] = [];
    let rename: string | undefined;
    if (task === 'regression') {
      const name = outs.has(OUTPUT.value) ? OUTPUT.value : outs.has('variable') ? 'variable' : undefined;
      if (!name)
        throw new ExternalModelError(
          `ONNX output "variable" (or "value") is missing: a regression model returns its predictions there as [N,1] float (outputs: ${[...outs.keys()].join(', ')})`,
        );
      const m = outs.get(name)!;
      if (!m.isTensor || m.type !== 'float32')
        throw new ExternalModelError(`ONNX output "${name}" must be a float tensor [N,1], got ${m.isTensor ? m.type : 'a non-tensor'}`);
      if (m.shape.length === 2 && (fixed(m.shape[1]) ?? 1) !== 1) throw new ExternalModelError(`ONNX output "${name}" must have shape [N,1], got ${dims(m)}`);
      if (name !== OUTPUT.value) rename = name;
      outputs.push({ name: OUTPUT.value, type: 'float32', shape: [-1, 1] });
    } else {
      const label = outs.get(OUTPUT.label);
      if (!label) throw new ExternalModelError(`ONNX output "label" is missing (outputs: ${[...outs.keys()].join(', ')})`);
      if (!label.isTensor) throw new ExternalModelError('ONNX output "label" must be a tensor [N], got a non-tensor');
      const proba = outs.get(OUTPUT.probabilities);
      if (!proba)
        throw new ExternalModelError(
          `ONNX output "probabilities" is missing (outputs: ${[...outs.keys()].join(', ')}): export without ZipMap (skl2onnx: options={"zipmap": False})`,
        );
      if (!proba.isTensor)
        throw new ExternalModelError(
          'ONNX output "probabilities" is not a tensor (a ZipMap?): it must be a float tensor [N,C]; export without ZipMap (skl2onnx: options={"zipmap": False})',
        );
      if (proba.type !== 'float32') throw new ExternalModelError(`ONNX output "probabilities" must be a float tensor [N,${classes.length}], got ${proba.type}`);
      const width = fixed(proba.shape[1]);
      if (proba.shape.length !== 2 || (width !== undefined && width !== classes.length))
        throw new ExternalModelError(
          `ONNX output "probabilities" must have shape [N,${classes.length}] (one column per class, in the order of classes), got ${dims(proba)}`,
        );
      outputs.push({ name: OUTPUT.label, type: label.type === 'string' ? 'string' : label.type === 'int64' ? 'int64' : 'float32', shape: [-1] });
      outputs.push({ name: OUTPUT.probabilities, type: 'float32', shape: [-1, classes.length] });
    }
    const signature: OnnxSignature = {
      inputs,
      outputs,
      ...(task === 'regression' ? {} : { classes }),
      opsets: {
        'ai.onnx': Number(proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0),
        'ai.onnx.ml': Number(proto.opsetImport.find((o) => o.domain === 'ai.onnx.ml')?.version ?? 0),
      },
      irVersion: Number(proto.irVersion ?? 0),
    };
    return { bytes: rename ? renameOutput(proto, rename, OUTPUT.value) : bytes, signature };
  } finally {
    await session.release();
  }
}

/** The same graph with one output renamed (every node that writes it included). */
function renameOutput(proto: onnx.ModelProto, from: string, to: string): Uint8Array {
  const graph = proto.graph!;
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map((o) => (o === from ? to : o));
    node.output = (node.output ?? []).map((o) => (o === from ? to : o));
  }
  for (const o of graph.output ?? []) if (o.name === from) o.name = to;
  return onnx.ModelProto.encode(proto).finish();
}
