// ModelInfer's messages encoded and decoded by protobufjs types built once from the protocol's own proto:
// its generated decoders hand back the message objects as they are, without proto-loader's conversion of every
// message into a plain object (defaults filled, longs converted, oneofs named) on each call. The other methods
// are rare and keep proto-loader's codecs.
import protobuf from 'protobufjs';
import type * as grpc from '@grpc/grpc-js';
import { PROTO_FILE } from './grpc-client';

/** InferParameter: one of its typed fields is set, named by the virtual oneof field. */
export interface InferParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: number | protobuf.Long;
  string_param?: string;
  double_param?: number;
  uint64_param?: number | protobuf.Long;
}

/** Decoded typed contents: numbers, or Longs for 64-bit integers beyond 2^53 (as protobufjs reads them). */
export interface TensorContents {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: (number | protobuf.Long)[];
  uint_contents: number[];
  uint64_contents: (number | protobuf.Long)[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
}

/** A decoded ModelInferRequest: absent scalars read as their defaults, absent messages as null. */
export interface ModelInferRequest {
  model_name: string;
  model_version: string | null; // proto3 optional: null when absent
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: { name: string; datatype: string; shape: (number | protobuf.Long)[]; contents: Partial<TensorContents> | null }[];
  outputs: { name: string }[];
  raw_input_contents: Uint8Array[];
}

/** What ModelInfer answers, as the encoder takes it (typed arrays are read like lists). */
export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  outputs: {
    name: string;
    datatype: string;
    shape: number[];
    parameters: Record<string, InferParameter>;
    contents: { bytes_contents: Uint8Array[] } | { fp32_contents: ArrayLike<number> };
  }[];
}

let types: { request: protobuf.Type; response: protobuf.Type } | undefined;

function inferTypes(): { request: protobuf.Type; response: protobuf.Type } {
  if (!types) {
    // keepCase: the proto's snake_case names, as the rest of the service and its clients use them.
    const root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
    types = { request: root.lookupType('inference.ModelInferRequest'), response: root.lookupType('inference.ModelInferResponse') };
  }
  return types;
}

export function decodeInferRequest(bytes: Buffer): ModelInferRequest {
  return inferTypes().request.decode(bytes) as unknown as ModelInferRequest;
}

export function encodeInferResponse(res: ModelInferResponse): Buffer {
  // Under Node the writer already finishes into a Buffer: wrap, never copy.
  const out = inferTypes()
    .response.encode(res as unknown as protobuf.Message)
    .finish();
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** The service definition with ModelInfer on these codecs (the wire format is the proto's either way). */
export function withInferCodecs(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const infer = service.ModelInfer!;
  return {
    ...service,
    ModelInfer: { ...infer, requestDeserialize: decodeInferRequest, responseSerialize: (r: ModelInferResponse) => encodeInferResponse(r) },
  };
}
