// Two builds of the model server side by side: the checkout at MLOPS_AB_BASE (built; say, the commit before a
// change) against this one, both serving the same breast-cancer model from the same registry with the prediction
// log on. wrk loads one at a time with single-row V1 predicts, alternating A B A B …: the machine is shared, and
// alternation spreads the drift of the others' load over both builds alike.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../infra/paths';
import { sklearnPython } from './gbdt.bench';
import { median, type Benchmark } from './harness';
import { serve, type BenchModel } from './serving.bench';

const PORT_A = 18490;
const PORT_B = 18492;
const ROUNDS = Number(process.env.MLOPS_AB_ROUNDS ?? 4);
const SECONDS = Number(process.env.MLOPS_AB_SECONDS ?? 10);

/** The breast-cancer CSV, written once by bench/yardstick/breast_cancer_csv.py (scikit-learn ships the data). */
function breastCancer(): BenchModel {
  const uri = path.join(os.tmpdir(), 'mlops-bench-breast-cancer.csv');
  if (!existsSync(uri)) execFileSync(sklearnPython(), [path.join(projectRoot(), 'bench', 'yardstick', 'breast_cancer_csv.py'), uri], { stdio: 'inherit' });
  return { name: 'bench-breast-cancer', uri, spec: { target: 'diagnosis' } };
}

/** The first data row as one V1 instance. */
function firstInstance(csv: string): Record<string, number> {
  const [header, row] = readFileSync(csv, 'utf8').split('\n');
  const names = header!.split(',');
  const values = row!.split(',');
  return Object.fromEntries(names.flatMap((n, i) => (n === 'diagnosis' ? [] : [[n, Number(values[i])]])));
}

/** Requests per second of `seconds` of wrk (one thread, 32 connections) posting `body` to `url`; fails on any non-200. */
function wrk(url: string, script: string, seconds: number): number {
  const out = execFileSync('wrk', ['-t1', '-c32', `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' });
  if (/Non-2xx or 3xx responses|Socket errors/.test(out)) throw new Error(`wrk saw failed requests against ${url}:\n${out}`);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rate) throw new Error(`no Requests/sec in wrk's output:\n${out}`);
  return Number(rate[1]);
}

export const servingAb: Benchmark = {
  name: 'serving-ab',
  what: `Single-row V1 predict throughput of two builds of the model server (MLOPS_AB_BASE = A, this checkout = B) serving the same breast-cancer model with the prediction log on: wrk -t1 -c32, ${SECONDS} s per slice, A B alternating for ${ROUNDS} rounds. The figure is median(B) / median(A).`,
  unit: '× A',
  target: 0.97,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 1),
  run: async () => {
    const base = process.env.MLOPS_AB_BASE;
    if (!base || !existsSync(path.join(base, 'dist', 'starters', 'mlops.js')))
      throw new Error('set MLOPS_AB_BASE to a built checkout (git archive COMMIT | tar -x -C DIR; link node_modules; npx tsc -p tsconfig.json)');
    const model = breastCancer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'serving-ab-'));
    const script = path.join(dir, 'predict.lua');
    const body = JSON.stringify({ instances: [firstInstance(model.uri)] });
    writeFileSync(script, `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);
    const servers: ChildProcess[] = [];
    try {
      servers.push(await serve({ port: PORT_A, grpcPort: PORT_A + 1, root: base, model }));
      servers.push(await serve({ port: PORT_B, grpcPort: PORT_B + 1, model }));
      const url = (port: number): string => `http://127.0.0.1:${port}/v1/models/${model.name}:predict`;
      for (const port of [PORT_A, PORT_B]) wrk(url(port), script, 2); // warm-up
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        a.push(wrk(url(PORT_A), script, SECONDS));
        b.push(wrk(url(PORT_B), script, SECONDS));
        console.error(`serving-ab round ${r + 1}: A ${a[r]} req/s, B ${b[r]} req/s`);
      }
      const details: Record<string, number> = { 'A median req/s': median(a), 'B median req/s': median(b) };
      a.forEach((x, i) => Object.assign(details, { [`A round ${i + 1} req/s`]: x, [`B round ${i + 1} req/s`]: b[i]! }));
      return { figure: median(b) / median(a), details };
    } finally {
      for (const s of servers) s.kill('SIGTERM');
    }
  },
};
