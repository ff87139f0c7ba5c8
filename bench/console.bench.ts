// The console's server time per page with 100 models × 50 versions: a schema and prefix of their own on the
// real local stack, filled with registry, lineage (8 stage executions per version), alias history, drift
// reports and performance estimates in bulk SQL, and one real evaluation report artifact every version points to. Each page is rendered
// in-process (`renderRoute`: the queries, artifact reads and HTML or JSON, without sockets) after warm-up.
// Temporal is left out (no A/B history or activity timings: those are one history fetch each). The yardstick
// is the registry's own `listModels` call (what `mlops models list` runs) on the same data.
import { randomBytes } from 'node:crypto';
import { jsonCache, type ConsoleContext } from '../console/context';
import { renderRoute } from '../console/server';
import { loadConfig } from '../core/config';
import { evaluationReport, storeEvaluationReport } from '../core/ml/evaluation-report';
import { openStores, type Stores } from '../core/store';
import { migrate } from '../infra/migrate';
import type { Benchmark } from './harness';
import { median } from './harness';

const MODELS = 100;
const VERSIONS = 50;
const DRIFT_REPORTS = 50;
const COLUMNS = Array.from({ length: 20 }, (_, i) => ({ name: `feature_${i}`, type: i % 3 ? 'DOUBLE' : 'VARCHAR' }));

async function seed(stores: Stores): Promise<{ evaluationUri: string; evaluationSha256: string }> {
  const n = 2_000;
  const labels = Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 3 === 0 ? 1 : 0));
  const proba = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const p = Math.min(0.99, Math.max(0.01, 0.3 + 0.4 * labels[i]! + ((i * 104729) % 100) / 250 - 0.2));
    proba[i * 2] = 1 - p;
    proba[i * 2 + 1] = p;
  }
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const slices = ['north', 'south', 'east', 'west'].map((g) => ({ attribute: 'region', group: g, count: 500, metrics: { accuracy: 0.8, roc_auc: 0.85 } }));
  const report = evaluationReport({
    task: 'binary',
    classes: ['0', '1'],
    threshold: 0.5,
    labels,
    targets: new Float64Array(0),
    predictions: { proba },
    idx,
    card: {
      metrics: { roc_auc: 0.85 },
      confusion: [
        [900, 100],
        [150, 850],
      ],
      slices,
      fairness: {},
    },
  });
  const ref = await storeEvaluationReport(stores.artifacts, report);
  const importance = Object.fromEntries(COLUMNS.map((c, i) => [c.name, 1 / (i + 1)]));
  const spec = {
    name: 'm',
    data: { uri: '/data/x.csv' },
    target: 'y',
    features: { exclude: ['id'] },
    training: { seed: 42, algorithms: ['logistic', 'gbdt'] },
    gates: { minimums: { roc_auc: 0.6 } },
  };
  const q = (text: string, values: unknown[] = []) => stores.pool.query(text, values);
  await q(`INSERT INTO registered_models (name) SELECT 'm' || lpad(m::text, 3, '0') FROM generate_series(1, $1) m`, [MODELS]);
  // Datasets, plans and models: one of each per version.
  await q(
    `INSERT INTO artifacts (uri, sha256, type, properties)
     SELECT 's3://bench/' || t.kind || '/' || md5(t.kind || m || '-' || v) || md5(v || '-' || m || t.kind), md5(t.kind || m || '-' || v) || md5(v || '-' || m || t.kind),
            t.type, CASE t.type WHEN 'Dataset' THEN jsonb_build_object('rows', 10000, 'columns', $3::jsonb, 'sourceUri', '/data/x.csv')
                                WHEN 'Model' THEN jsonb_build_object('name', 'm' || lpad(m::text, 3, '0'), 'version', v) ELSE '{}'::jsonb END
       FROM generate_series(1, $1) m, generate_series(1, $2) v,
            (VALUES ('datasets', 'Dataset'), ('plans', 'FeaturePlan'), ('models', 'Model')) AS t(kind, type)`,
    [MODELS, VERSIONS, JSON.stringify(COLUMNS)],
  );
  await q(
    `INSERT INTO model_versions (model, version, artifact_id, metrics, properties, run_key)
     SELECT 'm' || lpad(m::text, 3, '0'), v, a.id,
            jsonb_build_object('roc_auc', 0.8 + v / 1000.0, 'accuracy', 0.75, 'f1', 0.6, 'log_loss', 0.45, 'average_precision', 0.7, 'precision', 0.6, 'recall', 0.6, 'brier', 0.15, 'ece', 0.02),
            jsonb_build_object('algorithm', 'logistic', 'params', jsonb_build_object('l2', v / 10.0, 'tol', 1e-8, 'maxIter', 200), 'importance', $3::jsonb, 'permutationImportance', $3::jsonb,
                               'threshold', 0.5, 'seed', 42, 'codeVersion', '0.1.0+bench', 'spec', $4::jsonb, 'evaluationUri', $5::text, 'evaluationSha256', $6::text,
                               'datasetUri', 's3://bench/datasets/' || md5('datasets' || m || '-' || v) || md5(v || '-' || m || 'datasets'),
                               'datasetSha256', md5('datasets' || m || '-' || v) || md5(v || '-' || m || 'datasets')),
            'ct-m' || lpad(m::text, 3, '0') || '/run-' || v
       FROM generate_series(1, $1) m CROSS JOIN generate_series(1, $2) v
       JOIN artifacts a ON a.uri = 's3://bench/models/' || md5('models' || m || '-' || v) || md5(v || '-' || m || 'models')`,
    [MODELS, VERSIONS, JSON.stringify(importance), JSON.stringify(spec), ref.uri, ref.sha256],
  );
  await q(`INSERT INTO contexts (type, name) SELECT 'model', name FROM registered_models`);
  await q(`INSERT INTO contexts (type, name) SELECT 'pipeline_run', run_key FROM model_versions`);
  await q(
    `INSERT INTO executions (key, stage, status, code_version, started_at, ended_at)
     SELECT v.run_key || '/' || s.stage, s.stage, 'complete', '0.1.0+bench', v.created_at + s.n * interval '1 second', v.created_at + s.n * interval '1 second'
       FROM model_versions v, unnest(ARRAY['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy']) WITH ORDINALITY AS s(stage, n)
      ORDER BY v.model, v.version, s.n`,
  );
  await q(
    `INSERT INTO associations (context_id, execution_id)
     SELECT c.id, x.id FROM executions x JOIN model_versions v ON v.run_key = left(x.key, length(x.key) - length(x.stage) - 1)
       JOIN contexts c ON (c.type = 'pipeline_run' AND c.name = v.run_key) OR (c.type = 'model' AND c.name = v.model)`,
  );
  // Lineage events: ingest → dataset; features: dataset → plan; train: dataset + plan → model; evaluate, deploy read the model.
  await q(
    `INSERT INTO events (execution_id, artifact_id, type)
     SELECT x.id, a.id, e.dir FROM model_versions v
       JOIN LATERAL (VALUES ('ingest', 'datasets', 'output'), ('validate', 'datasets', 'input'), ('features', 'datasets', 'input'), ('features', 'plans', 'output'),
                            ('train', 'datasets', 'input'), ('train', 'plans', 'input'), ('train', 'models', 'output'),
                            ('evaluate', 'models', 'input'), ('evaluate', 'datasets', 'input'), ('deploy', 'models', 'input')) AS e(stage, kind, dir) ON true
       JOIN executions x ON x.key = v.run_key || '/' || e.stage
       JOIN artifacts a ON a.uri = 's3://bench/' || e.kind || '/' || md5(e.kind || substr(v.model, 2)::int || '-' || v.version) || md5(v.version || '-' || substr(v.model, 2)::int || e.kind)`,
  );
  await q(`INSERT INTO model_aliases (model, alias, version) SELECT name, 'production', $1 FROM registered_models`, [VERSIONS]);
  await q(
    `INSERT INTO alias_history (model, alias, from_version, to_version, actor, reason)
     SELECT m.name, 'production', NULLIF(v - 1, 0), v, 'continuousTrainingPipeline:ct-' || m.name, 'blessed: roc_auc improved'
       FROM registered_models m, generate_series(1, $1) v ORDER BY m.name, v`,
    [VERSIONS],
  );
  const driftColumns = COLUMNS.map((c, i) => ({
    name: c.name,
    type: c.type === 'VARCHAR' ? 'categorical' : 'numeric',
    method: c.type === 'VARCHAR' ? 'chisquare' : 'ks',
    statistic: 0.05 + i / 100,
    pValue: 0.2 / (i + 1),
    adjustedPValue: null,
    threshold: 0.05,
    drifted: i > 15,
    referenceCount: 5000,
    currentCount: 1000,
    histogram: {
      name: c.name,
      kind: 'numeric',
      edges: [],
      bars: Array.from({ length: 10 }, (_, b) => ({ label: `${b}`, reference: 500, current: 100 + b })),
      referenceTotal: 5000,
      currentTotal: 1045,
    },
  }));
  await q(
    `INSERT INTO drift_reports (model, version, at, rows, drifted_share, dataset_drift, columns, report_uri)
     SELECT m.name, $2, now() - r * interval '1 hour', 1000, 0.2, false, $3::jsonb, 's3://bench/reports/drift/' || md5(m.name || r) || '.html'
       FROM registered_models m, generate_series(1, $1) r`,
    [DRIFT_REPORTS, VERSIONS, JSON.stringify(driftColumns)],
  );
  // One performance estimate (CBPE) per drift check, the older half realised by late labels.
  await q(
    `INSERT INTO performance_estimates (model, version, at, window_start, window_end, rows, estimated, reference, realised, error, labels, realised_at)
     SELECT m.name, $2, now() - r * interval '1 hour', now() - (r + 1) * interval '1 hour', now() - r * interval '1 hour', 1000,
            jsonb_build_object('accuracy', 0.8 - r / 1000.0, 'f1', 0.6, 'roc_auc', 0.85,
                               'interval', jsonb_build_object('accuracy', jsonb_build_array(0.77, 0.83), 'f1', jsonb_build_array(0.55, 0.65), 'roc_auc', jsonb_build_array(0.82, 0.88))),
            '{"accuracy": 0.81, "f1": 0.61, "roc_auc": 0.86}'::jsonb,
            CASE WHEN r > $1 / 2 THEN '{"accuracy": 0.79, "f1": 0.59, "roc_auc": 0.84}'::jsonb END,
            CASE WHEN r > $1 / 2 THEN '{"accuracy": 0.01, "f1": 0.01, "roc_auc": 0.01}'::jsonb END,
            CASE WHEN r > $1 / 2 THEN 800 END, CASE WHEN r > $1 / 2 THEN now() END
       FROM registered_models m, generate_series(1, $1) r`,
    [DRIFT_REPORTS, VERSIONS],
  );
  await q('ANALYZE');
  return { evaluationUri: ref.uri, evaluationSha256: ref.sha256 };
}

async function timeIt(fn: () => Promise<unknown>, runs = 15): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

export const consolePages: Benchmark = {
  name: 'console-pages',
  what: `Console server time per page (HTML, in-process: queries, artifact reads, rendering) with ${MODELS} models × ${VERSIONS} versions, 8 stage executions per version and ${DRIFT_REPORTS} drift reports of 20 columns and performance estimates per model; the figure is the slowest page's median; the yardstick is the registry's listModels on the same data.`,
  unit: 'ms',
  target: 300,
  better: 'lower',
  runs: 3,
  run: async () => {
    const id = `bench_console_${randomBytes(4).toString('hex')}`;
    const stores = openStores(loadConfig(), { schema: id, prefix: `bench/${id}` });
    try {
      await migrate(stores.pool, stores.schema);
      await seed(stores);
      const ctx: ConsoleContext = {
        stores,
        temporal: null,
        temporalUi: 'http://127.0.0.1:8233/namespaces/default',
        readJson: jsonCache((uri, sha) => stores.artifacts.getBuffer(stores.artifacts.keyOf(uri), sha)),
      };
      const dataset = await stores.pool.query<{ sha: string }>(
        `SELECT properties->>'datasetSha256' AS sha FROM model_versions WHERE model = 'm050' AND version = 25`,
      );
      const drift = await stores.pool.query<{ id: string }>(`SELECT id FROM drift_reports WHERE model = 'm050' ORDER BY id LIMIT 1`);
      const pages: Record<string, string> = {
        models: '/models',
        model: '/models/m050',
        version: '/models/m050/versions/25',
        compare: '/compare?model=m050&v=24&v=25&v=26',
        'lineage-version': '/models/m050/versions/25/lineage',
        'lineage-dataset': `/datasets/${dataset.rows[0]!.sha}/lineage`,
        drift: '/models/m050/drift',
        'drift-report': `/models/m050/drift/${drift.rows[0]!.id}`,
        'feature-sets': '/feature-sets',
        'api-version': '/api/models/m050/versions/25',
      };
      const details: Record<string, number> = {};
      for (const [name, url] of Object.entries(pages)) {
        const u = new URL(url, 'http://console');
        details[`${name} ms`] = await timeIt(async () => {
          const out = await renderRoute(ctx, u.pathname, u.searchParams);
          if (out.status !== 200) throw new Error(`${url} answered ${out.status}: ${out.body.slice(0, 200)}`);
        });
      }
      details['yardstick registry.listModels ms'] = await timeIt(() => stores.registry.listModels());
      return {
        figure: Math.max(
          ...Object.entries(details)
            .filter(([k]) => !k.startsWith('yardstick'))
            .map(([, v]) => v),
        ),
        details,
      };
    } finally {
      await stores.pool.query(`DROP SCHEMA ${id} CASCADE`).catch(() => undefined);
      for (const o of await stores.artifacts.list().catch(() => [])) await stores.artifacts.remove(o.key).catch(() => undefined);
      await stores.close();
    }
  },
};
