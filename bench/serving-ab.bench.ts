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

/** CPU seconds (user + system) the process `pid` has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime and stime, in clock ticks of 1/100 s
}

/**
 * `seconds` of wrk (one thread, 32 connections) posting to `url`, served by the process `pid`: requests per second,
 * and the server's CPU µs per request (the load of others on the machine moves the first far more than the second).
 * Fails on any non-200.
 */
function wrk(url: string, script: string, seconds: number, pid: number): { rate: number; cpuUs: number } {
  const cpu = cpuSeconds(pid);
  const out = execFileSync('wrk', ['-t1', '-c32', `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' });
  const used = cpuSeconds(pid) - cpu;
  if (/Non-2xx or 3xx responses|Socket errors/.test(out)) throw new Error(`wrk saw failed requests against ${url}:\n${out}`);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rate || !total) throw new Error(`no request counts in wrk's output:\n${out}`);
  return { rate: Number(rate[1]), cpuUs: (used / Number(total[1])) * 1e6 };
}

export const servingAb: Benchmark = {
  name: 'serving-ab',
  what: `Single-row V1 predict throughput of two builds of the model server (MLOPS_AB_BASE = A, this checkout = B) serving the same breast-cancer model with the prediction log on: wrk -t1 -c32, ${SECONDS} s per slice, A B alternating for ${ROUNDS} rounds. The figure is median(B) / median(A) of the rates; the servers' CPU per request (from /proc) is beside it.`,
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
      const [pidA, pidB] = servers.map((x) => x.pid!) as [number, number];
      for (const [port, pid] of [
        [PORT_A, pidA],
        [PORT_B, pidB],
      ] as const)
        wrk(url(port), script, 2, pid); // warm-up
      const a: { rate: number; cpuUs: number }[] = [];
      const b: { rate: number; cpuUs: number }[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        a.push(wrk(url(PORT_A), script, SECONDS, pidA));
        b.push(wrk(url(PORT_B), script, SECONDS, pidB));
        console.error(
          `serving-ab round ${r + 1}: A ${a[r]!.rate} req/s ${a[r]!.cpuUs.toFixed(1)} µs CPU/req, B ${b[r]!.rate} req/s ${b[r]!.cpuUs.toFixed(1)} µs CPU/req`,
        );
      }
      const rate = (xs: typeof a): number => median(xs.map((x) => x.rate));
      const cpuUs = (xs: typeof a): number => median(xs.map((x) => x.cpuUs));
      const details: Record<string, number> = {
        'A median req/s': rate(a),
        'B median req/s': rate(b),
        'A median server CPU µs/req': cpuUs(a),
        'B median server CPU µs/req': cpuUs(b),
        'CPU per request B / A': cpuUs(b) / cpuUs(a),
        'median of the rounds B / A (req/s)': median(a.map((x, i) => b[i]!.rate / x.rate)),
      };
      return { figure: rate(b) / rate(a), details };
    } finally {
      for (const s of servers) s.kill('SIGTERM');
    }
  },
};
