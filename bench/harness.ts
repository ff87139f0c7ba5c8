// One harness for every benchmark: each run executes in a fresh Node process (so peak RSS is the run's
// own), the median of the runs is the figure, and the benchmark's section of bench/RESULTS.md is rewritten.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../infra/paths';

export interface Benchmark {
  name: string;
  /** What is measured, in one sentence (printed in RESULTS.md). */
  what: string;
  unit: string;
  /** Target for the figure, and whether lower or higher is better. */
  target: number;
  better: 'lower' | 'higher';
  runs: number;
  /** One run; returns the figure (and, for a benchmark of several things side by side, their figures). Runs in a child process of its own. */
  run: () => Promise<number | { figure: number; details: Record<string, number> }>;
  /** Extra versions to report (e.g. of the binaries measured). */
  versions?: () => Record<string, string>;
}

export interface RunResult {
  figure: number;
  peakRssMb: number;
  /** Figures measured in the same run beside the main one (e.g. the yardstick), by name. */
  details?: Record<string, number>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function machine(): Record<string, string> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  let go = 'none';
  try {
    go = execFileSync('go', ['version'])
      .toString()
      .trim()
      .replace(/^go version /, '');
  } catch {
    /* go is optional for benchmarks that do not build */
  }
  return {
    cpu: `${cpu} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    go,
  };
}

/** Runs `bench` `runs` times, each in a child process running `childEntry --child NAME`. */
export function measure(bench: Benchmark, childEntry: string, log: (line: string) => void): RunResult[] {
  const results: RunResult[] = [];
  for (let i = 0; i < bench.runs; i++) {
    const res = spawnSync(process.execPath, [childEntry, '--child', bench.name], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const last = res.stdout.toString().trim().split('\n').pop() ?? '';
    if (res.status !== 0 || !last.startsWith('{')) {
      throw new Error(`benchmark ${bench.name} run ${i + 1} failed (exit ${res.status}): ${last}`);
    }
    const r = JSON.parse(last) as RunResult;
    log(`  run ${i + 1}/${bench.runs}: ${r.figure.toFixed(3)} ${bench.unit}, peak RSS ${r.peakRssMb.toFixed(0)} MB`);
    results.push(r);
  }
  return results;
}

/** The child side: one run, then a JSON line with the figure and this process's peak RSS. */
export async function runChild(bench: Benchmark): Promise<void> {
  const out = await bench.run();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const result: RunResult = typeof out === 'number' ? { figure: out, peakRssMb } : { ...out, peakRssMb };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

export function section(bench: Benchmark, results: RunResult[], when = new Date()): string {
  const figures = results.map((r) => r.figure);
  const figure = median(figures);
  const met = bench.better === 'lower' ? figure <= bench.target : figure >= bench.target;
  // A ratio means something only between two positive quantities (not for a difference such as ΔAUC).
  const ratio = bench.target > 0 && figure > 0 ? `${(bench.better === 'lower' ? bench.target / figure : figure / bench.target).toFixed(2)}× ` : '';
  const env = { ...machine(), ...(bench.versions?.() ?? {}) };
  return [
    `<!-- bench:${bench.name} -->`,
    `### ${bench.name}`,
    '',
    bench.what,
    '',
    '| figure (median) | runs | all runs | peak RSS | target | ratio to target |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${fmt(figure)} ${bench.unit} | ${figures.length} | ${figures.map(fmt).join(', ')} | ${fmt(Math.max(...results.map((r) => r.peakRssMb)))} MB | ${bench.better === 'lower' ? '≤' : '≥'} ${bench.target} ${bench.unit} | ${ratio}${met ? '(met)' : '(missed)'} |`,
    ...detailsTable(results),
    '',
    `Measured ${when.toISOString().slice(0, 10)} on ${Object.entries(env)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    `<!-- /bench:${bench.name} -->`,
  ].join('\n');
}

/** The side-by-side figures of each run, with their medians. */
function detailsTable(results: RunResult[]): string[] {
  const names = [...new Set(results.flatMap((r) => Object.keys(r.details ?? {})))];
  if (names.length === 0) return [];
  const rows = names.map((n) => {
    const xs = results.map((r) => r.details?.[n]).filter((x): x is number => x !== undefined);
    return `| ${n} | ${fmt(median(xs))} | ${xs.map(fmt).join(', ')} |`;
  });
  return ['', '| measured in the same run | median | all runs |', '| --- | --- | --- |', ...rows];
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** Replaces (or appends) the benchmark's section of RESULTS.md. */
export function writeSection(resultsFile: string, name: string, text: string): void {
  const header = '# Benchmark results\n\nWritten by `npm run bench [name]`; each section is rewritten by its own benchmark.\n';
  const current = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : header;
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  const next = re.test(current) ? current.replace(re, text) : `${current.trimEnd()}\n\n${text}\n`;
  writeFileSync(resultsFile, next);
}

export const RESULTS_FILE = path.join(projectRoot(), 'bench', 'RESULTS.md');
