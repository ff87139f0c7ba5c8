// The Open Inference Protocol over gRPC: inference.GRPCInferenceService from the protocol's own proto
// (serving/proto/open_inference_grpc.proto, from github.com/open-inference/open-inference-protocol), on
// MLOPS_GRPC_ADDRESS. Tensors arrive as typed contents or raw_input_contents and go through the same
// inference path as REST; errors map onto gRPC status codes (400 → INVALID_ARGUMENT, 404 → NOT_FOUND).
import * as grpc from '@grpc/grpc-js';
import { inferenceServiceConstructor } from './grpc-client';
import { withInferCodecs, type InferParameter, type ModelInferRequest, type ModelInferResponse, type TensorContents } from './grpc-codec';
import type { Authorizer } from './auth';
import type { Inference } from './inference';
import { RequestError } from '../core/predict/score';
import { decodeRaw, outputTensors, responseParameters, rowsFromTensors, type InputTensor, type OutputTensor, type Parameters } from './v2-tensors';
import { modelMetadata, serverMetadata } from './v2-rest';

/** Which typed-contents field carries a datatype's values. */
const CONTENTS: Record<string, keyof TensorContents> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const CODES: Record<number, grpc.status> = {
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  400: grpc.status.INVALID_ARGUMENT,
  404: grpc.status.NOT_FOUND,
  405: grpc.status.UNIMPLEMENTED,
  413: grpc.status.RESOURCE_EXHAUSTED,
};

const utf8 = (b: Uint8Array): string => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('utf8');
/** 64-bit integers arrive as Longs when they pass 2^53: as numbers, like every other number here. */
const num = (v: unknown): unknown => (typeof v === 'object' && v !== null ? Number(v) : v);

/** A request's input tensors, decoded from raw_input_contents when present, else from the typed contents. */
export function decodeInputs(req: ModelInferRequest): InputTensor[] {
  const raw = req.raw_input_contents;
  if (raw.length > 0 && raw.length !== req.inputs.length)
    throw new RequestError(400, `raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs (one per input, in order)`);
  return req.inputs.map((t, i): InputTensor => {
    const shape = t.shape.map(Number);
    if (raw.length > 0) return { name: t.name, datatype: t.datatype, shape, data: decodeRaw(t.name, t.datatype, shape, raw[i]!) };
    const field = CONTENTS[t.datatype];
    // An unknown datatype is refused by rowsFromTensors, naming the input.
    if (!field) return { name: t.name, datatype: t.datatype, shape, data: [] };
    const values = (t.contents?.[field] ?? []) as unknown[];
    if (field === 'bytes_contents') return { name: t.name, datatype: t.datatype, shape, data: (values as Uint8Array[]).map(utf8) };
    return { name: t.name, datatype: t.datatype, shape, data: field === 'int64_contents' || field === 'uint64_contents' ? values.map(num) : values };
  });
}

function fromParameters(p: Record<string, InferParameter>): Parameters | undefined {
  const keys = Object.keys(p);
  if (keys.length === 0) return undefined;
  const out: Parameters = {};
  for (const k of keys) {
    const v = p[k]!;
    if (v.parameter_choice) out[k] = num(v[v.parameter_choice]) as string | number | boolean;
  }
  return out;
}

function toParameters(p: Record<string, string | number | boolean>): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  for (const [k, v] of Object.entries(p)) {
    out[k] =
      typeof v === 'string' ? { string_param: v } : typeof v === 'boolean' ? { bool_param: v } : Number.isInteger(v) ? { int64_param: v } : { double_param: v };
  }
  return out;
}

function toOutput(t: OutputTensor): ModelInferResponse['outputs'][number] {
  const contents =
    t.datatype === 'BYTES' ? { bytes_contents: (t.data as string[]).map((s) => Buffer.from(s, 'utf8')) } : { fp32_contents: t.data as Float32Array };
  return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: t.parameters ? toParameters(t.parameters) : {}, contents };
}

function versionOf(v: string | null | undefined): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (!/^[1-9]\d{0,8}$/.test(v)) throw new RequestError(400, `model_version ${JSON.stringify(v.slice(0, 40))} is not a version number`);
  return Number(v);
}

function metadataKey(md: grpc.Metadata): string | undefined {
  const v = md.get('x-mlops-key')[0] ?? md.get('x-request-id')[0];
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

type Handler<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/** A unary handler whose RequestErrors become status codes and whose other failures say only "internal error". */
function unary<Req, Res>(inference: Inference, fn: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>, model?: (req: Req) => string): Handler<Req, Res> {
  return (call, callback) => {
    fn(call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const status = err instanceof RequestError ? err.status : 500;
        inference.inc(inference.counters.errors, `${(model?.(call.request) ?? '-').slice(0, 63)}|${status}`);
        callback({ code: CODES[status] ?? grpc.status.INTERNAL, details: err instanceof RequestError ? err.message : 'internal error' });
      },
    );
  };
}

export function inferenceService(inference: Inference, auth?: Pick<Authorizer, 'infer'>): grpc.UntypedServiceImplementation {
  const name = (r: { name?: string; model_name?: string }): string => r.model_name ?? r.name ?? '-';
  return {
    ServerLive: unary(inference, async () => ({ live: true })),
    ServerReady: unary(inference, async () => ({ ready: true })),
    ServerMetadata: unary(inference, async () => serverMetadata()),
    ModelReady: unary(inference, async (call: grpc.ServerUnaryCall<{ name: string; version?: string }, unknown>) => {
      const ready = await inference.resolve(call.request.name, versionOf(call.request.version)).then(
        () => true,
        (err: unknown) => {
          if (err instanceof RequestError && err.status === 404) return false;
          throw err;
        },
      );
      return { ready };
    }),
    ModelMetadata: unary(
      inference,
      async (call: grpc.ServerUnaryCall<{ name: string; version?: string }, unknown>) => {
        const { model } = await inference.resolve(call.request.name, versionOf(call.request.version));
        const { parameters, ...meta } = modelMetadata(inference, model);
        return { ...meta, properties: parameters };
      },
      name,
    ),
    ModelInfer: unary(
      inference,
      async (call: grpc.ServerUnaryCall<ModelInferRequest, ModelInferResponse>): Promise<ModelInferResponse> => {
        const started = process.hrtime.bigint();
        // Tokens guard inference here as on REST (health and metadata stay open).
        const auth0 = call.metadata.get('authorization')[0];
        const denial = auth?.infer(typeof auth0 === 'string' ? auth0 : undefined);
        if (denial) throw new RequestError(denial.status, denial.message);
        const req = call.request;
        const inputs = decodeInputs(req);
        const { served, arm, predictions } = await inference.infer(
          req.model_name,
          versionOf(req.model_version),
          (model) => rowsFromTensors(model, inputs),
          metadataKey(call.metadata),
          started,
        );
        const outputs = outputTensors(
          served,
          predictions,
          req.outputs.map((o) => o.name),
        );
        return {
          model_name: served.name,
          model_version: String(served.version),
          id: req.id,
          parameters: toParameters(responseParameters(fromParameters(req.parameters), predictions, arm)),
          outputs: outputs.map(toOutput),
        };
      },
      name,
    ),
  };
}

export interface RunningGrpc {
  address: string;
  close(): Promise<void>;
}

/** Serves the protocol on `host:port` (port 0: any free port); resolves with the bound address. */
export async function startGrpc(inference: Inference, host: string, port: number, auth?: Pick<Authorizer, 'infer'>): Promise<RunningGrpc> {
  // Channelz keeps per-call statistics nobody reads here: off, it is a cheap share of every call.
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  server.addService(withInferCodecs(inferenceServiceConstructor().service), inferenceService(inference, auth));
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(new Error(`gRPC: cannot listen on ${host}:${port}: ${err.message}`)) : resolve(p),
    );
  });
  return {
    address: `${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Calls in flight finish; a stuck one is cut after a second.
        const timer = setTimeout(() => server.forceShutdown(), 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
