// The Open Inference Protocol (KServe V2) over REST, beside V1 on the same port:
//   GET  /v2/health/live | /v2/health/ready        GET /v2 (server metadata)
//   GET  /v2/models/{m}[/versions/{v}]             model metadata        GET …/ready   readiness
//   POST /v2/models/{m}[/versions/{v}]/infer       one input tensor per raw column → label + probabilities | value
// Errors are {"error": "…"} with the HTTP status. Inference goes through the V1 path (serving/inference).
import type http from 'node:http';
import { codeVersion } from '../core/version';
import type { Inference } from './inference';
import type { ServedModel } from './model-host';
import { RequestError } from '../core/predict/score';
import { parseJson, readBody, routingKey } from './http-io';
import { checkParameters, inputMetadata, outputMetadata, outputTensors, responseParameters, rowsFromTensors, type InputTensor } from './v2-tensors';
import { VERSION_LOADING } from './version-cache';

export const SERVER_NAME = 'temporal-mlops';

/** Server metadata (REST and gRPC): the code version, no protocol extensions. */
export function serverMetadata(): { name: string; version: string; extensions: string[] } {
  return { name: SERVER_NAME, version: codeVersion(), extensions: [] };
}

/** Model metadata (REST and gRPC): the versions loaded here, platform onnx, tensors, and how versions load. */
export function modelMetadata(
  inference: Inference,
  model: ServedModel,
): {
  name: string;
  versions: string[];
  platform: string;
  inputs: ReturnType<typeof inputMetadata>;
  outputs: ReturnType<typeof outputMetadata>;
  parameters: Record<string, string>;
} {
  const champion = inference.host.get(model.name);
  const challenger = inference.host.challenger(model.name);
  const loaded = new Set([champion?.version, challenger?.model.version, ...inference.versions.loaded(model.name)].filter((v): v is number => v !== undefined));
  return {
    name: model.name,
    versions: [...loaded].sort((a, b) => a - b).map(String),
    platform: 'onnx',
    inputs: inputMetadata(model),
    outputs: outputMetadata(model),
    parameters: {
      version: String(model.version),
      task: model.task,
      ...(model.task === 'regression' ? {} : { classes: JSON.stringify(model.classes) }),
      ...(champion ? { [inference.host.alias]: String(champion.version) } : {}),
      ...(challenger ? { challenger: String(challenger.model.version) } : {}),
      version_loading: VERSION_LOADING,
    },
  };
}

const MODEL_PATH = /^\/v2\/models\/([a-z0-9][a-z0-9_.-]{0,62})(?:\/versions\/([1-9]\d{0,8}))?(\/ready|\/infer)?$/;

const FIXED: Record<string, () => unknown> = {
  '/v2': serverMetadata,
  '/v2/health/live': () => ({ live: true }),
  // Models load before the server listens: once it answers, it is ready.
  '/v2/health/ready': () => ({ ready: true }),
};

/** A request body's input tensor, checked for form; its values are checked against the model later. */
function inputTensor(v: unknown, i: number): InputTensor {
  const t = v as Partial<Record<'name' | 'datatype' | 'shape' | 'data', unknown>>;
  if (typeof v !== 'object' || v === null || typeof t.name !== 'string')
    throw new RequestError(400, `inputs[${i}] must be a tensor {"name", "datatype", "shape", "data"}`);
  if (typeof t.datatype !== 'string') throw new RequestError(400, `input ${t.name}: "datatype" must be a string such as FP64 or BYTES`);
  if (!Array.isArray(t.shape)) throw new RequestError(400, `input ${t.name}: "shape" must be a list such as [1]`);
  if (!Array.isArray(t.data)) throw new RequestError(400, `input ${t.name}: "data" must be a list of values`);
  // The protocol allows nested row-major data: [[1], [2]] for shape [2, 1].
  const data = t.data.some(Array.isArray) ? (t.data.flat(Infinity) as unknown[]) : t.data;
  return { name: t.name, datatype: t.datatype, shape: t.shape as number[], data };
}

function requestedOutputs(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((o) => typeof o !== 'object' || o === null || typeof (o as { name?: unknown }).name !== 'string')) {
    throw new RequestError(400, '"outputs" must be a list of {"name": …}');
  }
  return v.map((o) => (o as { name: string }).name);
}

/** Handles a /v2 request; errors are thrown as RequestError for the server's one error answer. */
export async function handleV2(
  inference: Inference,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: { pathname: string },
  send: (status: number, body: unknown) => void,
  started: bigint,
): Promise<void> {
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const method = req.method ?? 'GET';
  const only = (allowed: string): void => {
    if (method !== allowed) throw new RequestError(405, `${method} is not allowed on ${path} (use ${allowed})`);
  };
  if (Object.hasOwn(FIXED, path)) {
    only('GET');
    return send(200, FIXED[path]!());
  }
  const m = MODEL_PATH.exec(path);
  if (!m) throw new RequestError(404, `no route ${method} ${url.pathname}`);
  const name = m[1]!;
  const version = m[2] === undefined ? undefined : Number(m[2]);
  if (m[3] !== '/infer') {
    only('GET');
    const { model } = await inference.resolve(name, version);
    return send(200, m[3] === '/ready' ? { name, ready: true } : modelMetadata(inference, model));
  }
  only('POST');
  const body = parseJson(await readBody(req));
  if (body.id !== undefined && typeof body.id !== 'string') throw new RequestError(400, '"id" must be a string');
  const parameters = checkParameters(body.parameters, '"parameters"');
  if (!Array.isArray(body.inputs)) throw new RequestError(400, '"inputs" must be a list of tensors, one per raw column');
  const inputs = body.inputs.map(inputTensor);
  const outputs = requestedOutputs(body.outputs);
  const { served, arm, predictions } = await inference.infer(name, version, (model) => rowsFromTensors(model, inputs), routingKey(req), started);
  const tensors = outputTensors(served, predictions, outputs);
  res.setHeader('x-mlops-arm', arm);
  send(200, {
    model_name: served.name,
    model_version: String(served.version),
    ...(body.id !== undefined ? { id: body.id } : {}),
    parameters: responseParameters(parameters, predictions, arm),
    outputs: tensors.map((t) => ({ ...t, data: t.data instanceof Float32Array ? Array.from(t.data) : t.data })),
  });
}
