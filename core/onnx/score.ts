// Runs an exported model in onnxruntime-node (CPU). One session per scorer: create it once, score many times.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { OnnxFeeds } from './feeds';
import type { OnnxInputSpec } from './signature';

export type OnnxOutputs = Record<string, Float32Array | string[] | BigInt64Array>;

export interface OnnxScorer {
  inputs: Pick<OnnxInputSpec, 'name' | 'type'>[];
  outputs: string[];
  /** Scores a batch: every feed holds N values (shape [N, 1]). */
  score(feeds: OnnxFeeds): Promise<OnnxOutputs>;
  release(): Promise<void>;
}

export async function createOnnxScorer(bytes: Uint8Array, options: InferenceSession.SessionOptions = {}): Promise<OnnxScorer> {
  const session = await InferenceSession.create(bytes, { logSeverityLevel: 3, ...options });
  const inputs = session.inputMetadata.map((m) => {
    if (!m.isTensor || (m.type !== 'float32' && m.type !== 'string')) {
      throw new Error(`ONNX input "${m.name}": only float32 and string tensor inputs are supported`);
    }
    return { name: m.name, type: m.type };
  });
  return {
    inputs,
    outputs: [...session.outputNames],
    async score(feeds) {
      const tensors: Record<string, Tensor> = {};
      for (const input of inputs) {
        const data = feeds[input.name];
        if (data === undefined) throw new Error(`ONNX input "${input.name}" has no feed`);
        if (input.type === 'float32' && data instanceof Float32Array) tensors[input.name] = new Tensor('float32', data, [data.length, 1]);
        else if (input.type === 'string' && Array.isArray(data)) tensors[input.name] = new Tensor('string', data, [data.length, 1]);
        else throw new Error(`ONNX input "${input.name}" takes ${input.type} values (Float32Array for float32, string[] for string)`);
      }
      const result = await session.run(tensors);
      const out: OnnxOutputs = {};
      for (const [name, value] of Object.entries(result)) {
        const data = value.data;
        if (!(data instanceof Float32Array || data instanceof BigInt64Array || Array.isArray(data))) {
          throw new Error(`ONNX output "${name}" has unsupported type ${value.type}`);
        }
        out[name] = data;
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** One-shot scoring: opens a session, scores the feeds, releases it. */
export async function scoreOnnx(bytes: Uint8Array, feeds: OnnxFeeds): Promise<OnnxOutputs> {
  const scorer = await createOnnxScorer(bytes);
  try {
    return await scorer.score(feeds);
  } finally {
    await scorer.release();
  }
}
