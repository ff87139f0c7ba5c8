// The browser bundle's score.mjs (bundled by esbuild with the scoring kernel). onnxruntime-web's WASM backend
// is loaded from the bundle's own ort/ folder: nothing comes from a CDN. `load()` then `score(rows)`.
import * as ort from 'onnxruntime-web';
import { benchScorer, type ScoringBench } from './bench.js';
import { scoringKernel, sha256Hex, type Prediction, type ScoringKernel } from './bundle-model.js';

export interface BrowserScorer {
  kernel: ScoringKernel;
  score(rows: Record<string, unknown>[]): Promise<Prediction[]>;
  /** Milliseconds from fetching model.onnx to a warmed-up session. */
  loadMs: number;
}

const base = new URL('./', import.meta.url);

async function fetchOk(url: URL): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  return res;
}

export async function load(): Promise<BrowserScorer> {
  const started = performance.now();
  // One thread: shared-memory threads need cross-origin isolation headers a plain file server does not send.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = new URL('./ort/', base).href;
  const kernel = scoringKernel(await (await fetchOk(new URL('./model.json', base))).json());
  const bytes = new Uint8Array(await (await fetchOk(new URL('./model.onnx', base))).arrayBuffer());
  if ((await sha256Hex(bytes)) !== kernel.model.sha256) throw new Error('model.onnx is not the exported model (sha256 differs from model.json)');
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
  const score = async (rows: Record<string, unknown>[]): Promise<Prediction[]> => {
    rows.forEach((row, i) => {
      const problem = kernel.check(row);
      if (problem) throw new Error(`row ${i}: ${problem}`);
    });
    const { feeds } = kernel.prepare(rows);
    const tensors: Record<string, ort.Tensor> = {};
    for (const input of kernel.model.inputs) tensors[input.name] = new ort.Tensor(input.type, feeds[input.name]!, [rows.length, 1]);
    const out = await session.run(tensors);
    const data: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(out)) data[name] = t.data;
    return kernel.decode(data, rows.length);
  };
  await score([Object.fromEntries(kernel.model.fields.map(([f]) => [f, null]))]);
  return { kernel, score, loadMs: performance.now() - started };
}

let loaded: Promise<BrowserScorer> | undefined;

/** Scores raw rows, loading the model on first use. */
export async function score(rows: Record<string, unknown>[]): Promise<Prediction[]> {
  loaded ??= load();
  return (await loaded).score(rows);
}

/** What this bundle costs in this browser: model load time, single-row latency and throughput. */
export async function bench(rows: Record<string, unknown>[]): Promise<ScoringBench & { loadMs: number }> {
  const scorer = await load();
  return { loadMs: Math.round(scorer.loadMs * 1000) / 1000, ...(await benchScorer(scorer.score, rows)) };
}
