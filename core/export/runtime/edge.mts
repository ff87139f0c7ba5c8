// The edge bundle's score.mjs (bundled by esbuild with the scoring kernel; onnxruntime-node is its only
// dependency). As a module: `load()` then `score(rows)`. As a program: `node score.mjs` reads one JSON row per
// line on stdin and writes one prediction per line on stdout; with `--log URL` it also buffers the
// predictions and posts them to the model server's log endpoint whenever the server can be reached.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, realpathSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { benchScorer } from './bench.js';
import { scoringKernel, sha256Hex, type Prediction, type ScoringKernel } from './bundle-model.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface EdgeScorer {
  kernel: ScoringKernel;
  /** Predictions for raw rows (each checked first; a bad row throws naming its index and field). */
  score(rows: Record<string, unknown>[]): Promise<Prediction[]>;
  /** Milliseconds from reading model.onnx to a warmed-up session. */
  loadMs: number;
}

export async function load(dir = HERE): Promise<EdgeScorer> {
  const started = performance.now();
  const kernel = scoringKernel(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')));
  const bytes = new Uint8Array(readFileSync(path.join(dir, 'model.onnx')));
  if ((await sha256Hex(bytes)) !== kernel.model.sha256) throw new Error(`model.onnx in ${dir} is not the exported model (sha256 differs from model.json)`);
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const run = async (rows: Record<string, unknown>[]): Promise<{ features: Record<string, unknown>[]; predictions: Prediction[] }> => {
    rows.forEach((row, i) => {
      const problem = kernel.check(row);
      if (problem) throw new Error(`row ${i}: ${problem}`);
    });
    const { features, feeds } = kernel.prepare(rows);
    const tensors: Record<string, ort.Tensor> = {};
    for (const input of kernel.model.inputs) tensors[input.name] = new ort.Tensor(input.type, feeds[input.name]!, [rows.length, 1]);
    const out = await session.run(tensors);
    const data: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(out)) data[name] = t.data;
    return { features, predictions: kernel.decode(data, rows.length) };
  };
  // Warm up before the first real row: the first run allocates.
  await run([Object.fromEntries(kernel.model.fields.map(([f]) => [f, null]))]);
  scorerRun.set(kernel, run);
  return { kernel, score: async (rows) => (await run(rows)).predictions, loadMs: performance.now() - started };
}

const scorerRun = new WeakMap<
  ScoringKernel,
  (rows: Record<string, unknown>[]) => Promise<{ features: Record<string, unknown>[]; predictions: Prediction[] }>
>();

interface LogOptions {
  url: string;
  token: string | undefined;
  spool: string | undefined;
}

/** Predictions waiting for the server: posted in batches, kept (bounded) while it cannot be reached. */
function predictionOutbox(kernel: ScoringKernel, opts: LogOptions): { add(entry: object): void; flush(): Promise<void>; close(): Promise<void> } {
  const MAX = 100_000;
  let pending: object[] = [];
  let dropped = 0;
  let flushing: Promise<void> = Promise.resolve();
  if (opts.spool && existsSync(opts.spool)) {
    // Entries a previous run could not deliver go first; the file is renamed so a crash cannot send them twice.
    const taken = `${opts.spool}.sending`;
    renameSync(opts.spool, taken);
    pending = readFileSync(taken, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as object);
    appendFileSync(taken, '');
  }
  const endpoint = `${opts.url.replace(/\/$/, '')}/v1/models/${encodeURIComponent(kernel.model.name)}:log`;
  const send = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.slice(0, 500);
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
          body: JSON.stringify({ predictions: batch }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        return; // offline: keep everything for the next flush
      }
      if (!res.ok) {
        process.stderr.write(`prediction log: ${endpoint} answered ${res.status}: ${(await res.text()).slice(0, 200)}\n`);
        return;
      }
      pending = pending.slice(batch.length);
    }
  };
  const timer = setInterval(() => void outbox.flush(), 5_000);
  timer.unref();
  const outbox = {
    add(entry: object) {
      pending.push(entry);
      if (pending.length > MAX) {
        dropped += pending.length - MAX;
        pending = pending.slice(pending.length - MAX);
      }
      if (pending.length >= 500) void outbox.flush();
    },
    flush() {
      flushing = flushing.then(send);
      return flushing;
    },
    async close() {
      clearInterval(timer);
      await outbox.flush();
      if (opts.spool) {
        const taken = `${opts.spool}.sending`;
        if (pending.length > 0) appendFileSync(opts.spool, pending.map((e) => JSON.stringify(e)).join('\n') + '\n');
        if (existsSync(taken)) renameSync(taken, `${taken}.done`);
      }
      if (pending.length > 0 || dropped > 0)
        process.stderr.write(
          `prediction log: ${pending.length} predictions not delivered${opts.spool ? ` (kept in ${opts.spool})` : ''}, ${dropped} dropped\n`,
        );
    },
  };
  return outbox;
}

function parseFlags(argv: string[]): LogOptions | undefined {
  const at = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const url = at('--log') ?? process.env.MLOPS_EDGE_LOG_URL;
  if (!url) return undefined;
  return { url, token: process.env.MLOPS_EDGE_TOKEN, spool: at('--spool') ?? process.env.MLOPS_EDGE_SPOOL };
}

/**
 * `--bench rows.json`: what this bundle costs on this machine, as one JSON line: model load time, single-row
 * latency, throughput and the process's peak resident memory.
 */
async function bench(file: string): Promise<void> {
  const scorer = await load();
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
  const measured = await benchScorer(scorer.score, rows);
  process.stdout.write(
    `${JSON.stringify({ loadMs: Math.round(scorer.loadMs * 1000) / 1000, ...measured, peakRssBytes: process.resourceUsage().maxRSS * 1024, runtime: `onnxruntime-node ${ort.env.versions.node ?? ''}`.trim() })}\n`,
  );
}

/** The scoring loop: one JSON row per stdin line → one JSON prediction (or {"error"}) per stdout line. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const benchAt = argv.indexOf('--bench');
  if (benchAt >= 0) return bench(argv[benchAt + 1] ?? 'rows.json');
  const scorer = await load();
  const run = scorerRun.get(scorer.kernel)!;
  const logOpts = parseFlags(argv);
  const outbox = logOpts ? predictionOutbox(scorer.kernel, logOpts) : undefined;
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // Lines are scored one at a time so output order is input order.
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      process.stdout.write(`${JSON.stringify({ error: 'not a JSON object' })}\n`);
      continue;
    }
    const problem = scorer.kernel.check(row);
    if (problem) {
      process.stdout.write(`${JSON.stringify({ error: problem })}\n`);
      continue;
    }
    const { features, predictions } = await run([row as Record<string, unknown>]);
    const prediction: Record<string, unknown> = outbox ? { id: randomUUID(), ...predictions[0] } : { ...predictions[0] };
    if (!process.stdout.write(`${JSON.stringify(prediction)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    outbox?.add({ id: prediction.id, version: scorer.kernel.model.version, features: features[0], output: prediction });
  }
  await outbox?.close();
}

let loaded: Promise<EdgeScorer> | undefined;

/** Scores raw rows, loading the model on first use. */
export async function score(rows: Record<string, unknown>[]): Promise<Prediction[]> {
  loaded ??= load();
  return (await loaded).score(rows);
}

function invokedAsProgram(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedAsProgram()) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
