// /compare?model=<name>&v=1&v=2…: versions side by side — metrics, overlaid curves, the params that differ.
import type { EvaluationReport } from '../../core/ml/evaluation-report';
import { prChart, rocChart, type Spec } from '../charts';
import type { PageHandler } from '../context';
import { chart, fmtNumber, html, seg, table } from '../html';
import { listModels } from '../queries';
import { loadVersion } from './version';

/** Flattens nested params to dotted keys so differences line up row by row. */
export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

export const comparePage: PageHandler = async (ctx, _params, query) => {
  const model = query.get('model') ?? '';
  const wanted = [...new Set(query.getAll('v'))].slice(0, 8);
  if (!model || wanted.length === 0) {
    const models = await listModels(ctx.stores.pool);
    return {
      title: 'Compare versions',
      body: html`<p>Pick a model, then tick two or more versions on its page.</p><ul>${models.map((m) => html`<li><a href="/models/${seg(m.name)}">${m.name}</a></li>`)}</ul>`,
      charts: {},
      data: { models: models.map((m) => m.name) },
    };
  }
  const loaded = await Promise.all(wanted.map((v) => loadVersion(ctx, model, v)));
  if (loaded.some((l) => l === null)) return null;
  const versions = loaded.map((l) => l!);
  const names = versions.map((l) => `v${l.mv.version}`);
  const metricKeys = [...new Set(versions.flatMap((l) => Object.keys(l.mv.metrics)))];
  const params = versions.map((l) =>
    flatten({ algorithm: l.mv.properties.algorithm, params: l.mv.properties.params, threshold: l.mv.properties.threshold, seed: l.mv.properties.seed }),
  );
  const paramKeys = [...new Set(params.flatMap((p) => Object.keys(p)))].filter((k) => new Set(params.map((p) => p[k])).size > 1);
  const charts: Record<string, Spec> = {};
  const withCurves = versions.filter(
    (l): l is { mv: typeof l.mv; report: EvaluationReport & { curve: NonNullable<EvaluationReport['curve']> } } => !!l.report?.curve,
  );
  if (withCurves.length) {
    charts.roc = rocChart(withCurves.map((l) => ({ name: `v${l.mv.version}`, points: l.report.curve })));
    charts.pr = prChart(withCurves.map((l) => ({ name: `v${l.mv.version}`, points: l.report.curve.slice(1) })));
  }
  const body = html`
<h2>Metrics</h2>
${table({ id: 'compare-metrics', head: ['metric', ...versions.map((l) => html`<a href="/models/${seg(model)}/versions/${l.mv.version}">v${l.mv.version}</a>`)], rows: metricKeys.map((k) => [k, ...versions.map((l) => fmtNumber(l.mv.metrics[k]))]) })}
${withCurves.length ? html`<div class="grid">${chart('roc', 'ROC curves')}${chart('pr', 'Precision-recall curves')}</div>` : ''}
<h2>Params that differ</h2>
${table({ id: 'compare-params', empty: 'The versions share every param.', head: ['param', ...names], rows: paramKeys.map((k) => [k, ...params.map((p) => p[k] ?? '—')]) })}`;
  return {
    title: `Compare ${model} ${names.join(', ')}`,
    crumbs: [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(model)}`, text: model },
    ],
    body,
    charts,
    data: { model, versions: versions.map((l) => ({ version: l.mv.version, metrics: l.mv.metrics, params: params[versions.indexOf(l)] })) },
  };
};
