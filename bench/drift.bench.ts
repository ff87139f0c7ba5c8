// Drift check at scale: detectDrift on 1M reference rows and 1M current rows × 20 columns (10 numeric,
// 10 categorical with 10–50 categories), some of them shifted. Data come from a seeded PRNG so every run
// measures the same work; only detectDrift is timed.
import { detectDrift } from '../core/stats/drift';
import type { DriftColumn } from '../core/stats/drift';
import { seededRandom } from '../core/random';
import type { Benchmark } from './harness';

const ROWS = 1_000_000;
const NUMERIC = 10;
const CATEGORICAL = 10;

function normals(random: () => number, n: number, mean: number, sd: number, missingRate: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    out[i] = mean + sd * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + sd * r * Math.sin(theta);
  }
  for (let i = 0; i < n; i++) if (random() < missingRate) out[i] = NaN;
  return out;
}

function categories(random: () => number, n: number, names: string[], tilt: number): (string | null)[] {
  // Zipf-like weights; `tilt` moves mass towards the tail categories in the current sample.
  const weights = names.map((_, k) => 1 / (k + 1) ** (1 - tilt));
  const total = weights.reduce((s, w) => s + w, 0);
  const cumulative = new Float64Array(names.length);
  let acc = 0;
  weights.forEach((w, k) => (cumulative[k] = acc += w / total));
  const out = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const u = random();
    if (u < 0.01) {
      out[i] = null;
      continue;
    }
    let k = 0;
    while (k < names.length - 1 && cumulative[k]! < u) k++;
    out[i] = names[k]!;
  }
  return out;
}

function driftBenchColumns(seed = 42): DriftColumn[] {
  const random = seededRandom(seed);
  const columns: DriftColumn[] = [];
  for (let c = 0; c < NUMERIC; c++) {
    const shifted = c % 3 === 0;
    columns.push({
      name: `num_${c}`,
      kind: 'numeric',
      reference: normals(random, ROWS, c, 1 + c / 10, 0.01),
      current: normals(random, ROWS, c + (shifted ? 0.3 : 0), 1 + c / 10, 0.01),
    });
  }
  for (let c = 0; c < CATEGORICAL; c++) {
    const names = Array.from({ length: 10 + ((c * 41) % 41) }, (_, k) => `cat_${c}_${k}`);
    columns.push({
      name: `cat_${c}`,
      kind: 'categorical',
      reference: categories(random, ROWS, names, 0),
      current: categories(random, ROWS, names, c % 3 === 0 ? 0.4 : 0),
    });
  }
  return columns;
}

export const driftBench: Benchmark = {
  name: 'drift-1m-x20',
  what:
    'detectDrift (method auto: normed Wasserstein for numeric, Jensen–Shannon for categorical) on 1M reference and ' +
    '1M current rows × 20 columns (10 numeric, 10 categorical with 10–50 categories, 1% missing, 8 columns shifted); ' +
    'seeded synthetic data, only detectDrift timed.',
  unit: 's',
  target: 3,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  run: async () => {
    const columns = driftBenchColumns();
    const started = performance.now();
    const report = detectDrift(columns);
    const seconds = (performance.now() - started) / 1000;
    if (report.columns.length !== NUMERIC + CATEGORICAL) throw new Error('drift bench: unexpected report shape');
    return seconds;
  },
};
