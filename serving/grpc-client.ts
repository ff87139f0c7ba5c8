// A client of the gRPC inference service, from the same proto: for `mlops status` and the benchmarks.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { projectRoot } from '../infra/paths';

export const PROTO_FILE = path.join(projectRoot(), 'serving', 'proto', 'open_inference_grpc.proto');
/** keepCase: the proto's snake_case names; int64 as JS numbers; empty repeated fields present. */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

export function inferenceServiceConstructor(): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILE, PROTO_OPTIONS)) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
  };
  return pkg.inference.GRPCInferenceService;
}

/** A plaintext client (the server listens on loopback by default). */
export function inferenceClient(address: string): grpc.Client {
  const Client = inferenceServiceConstructor();
  return new Client(address, grpc.credentials.createInsecure());
}

/** Whether a server answers ServerLive at `address` within `timeoutMs`. */
export async function grpcLive(address: string, timeoutMs = 1_000): Promise<boolean> {
  const client = inferenceClient(address) as grpc.Client & {
    ServerLive: (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { live: boolean }) => void) => void;
  };
  try {
    return await new Promise<boolean>((resolve) =>
      client.ServerLive({}, { deadline: Date.now() + timeoutMs }, (err, res) => resolve(!err && res?.live === true)),
    );
  } finally {
    client.close();
  }
}
