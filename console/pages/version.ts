// /models/<name>/versions/<v>: one version and the run that made it — metrics, curves, calibration, the
// confusion matrix (residuals for regression), fairness slices, feature importance, params, the dataset
// (sha256, rows, schema), the code version and the stage timings.
import type { EvaluationReport } from '../../core/ml/evaluation-report';
import type { ModelVersion } from '../../core/store/registry';
import { barChart, calibrationChart, confusionChart, prChart, residualsChart, rocChart, type Spec } from '../charts';
import type { ConsoleContext, PageHandler } from '../context';
import { chart, fmtNumber, fmtTime, html, seg, table, type Markup } from '../html';
import { stageTimings } from '../queries';
import { activityTimings, splitRunKey, workflowUrl, type ActivityTiming } from '../temporal';
import { isModelName } from './model';

/** A version and its evaluation report (absent for versions registered before reports were stored). */
export async function loadVersion(ctx: ConsoleContext, name: string, v: string): Promise<{ mv: ModelVersion; report: EvaluationReport | null } | null> {
  if (!isModelName(name) || !/^[1-9]\d{0,8}$/.test(v)) return null;
  const mv = await ctx.stores.registry.getVersion(name, Number(v));
  if (!mv) return null;
  const uri = mv.properties.evaluationUri;
  const report = typeof uri === 'string' ? await ctx.readJson<EvaluationReport>(uri, mv.properties.evaluationSha256 as string | undefined) : null;
  return { mv, report };
}

/** The metric a slice chart shows: the first one every slice has. */
function sliceMetric(report: EvaluationReport): string | null {
  for (const k of ['roc_auc', 'accuracy', 'rmse', 'mae'])
    if (report.slices.length > 0 && report.slices.every((s) => typeof s.metrics[k] === 'number')) return k;
  return null;
}

function importanceBars(values: unknown): { label: string; value: number }[] {
  if (!values || typeof values !== 'object') return [];
  return Object.entries(values as Record<string, number>)
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([label, value]) => ({ label, value }));
}

export function evaluationCharts(report: EvaluationReport | null, label: string): Record<string, Spec> {
  if (!report) return {};
  const charts: Record<string, Spec> = {};
  if (report.curve) {
    charts.roc = rocChart([{ name: label, points: report.curve }]);
    charts.pr = prChart([{ name: label, points: report.curve.slice(1) }]);
  }
  if (report.classCurves) {
    charts.roc = rocChart(
      report.classCurves.map((c) => ({ name: c.class, points: c.points })),
      'class (one vs rest)',
    );
    charts.pr = prChart(
      report.classCurves.map((c) => ({ name: c.class, points: c.points.slice(1) })),
      'class (one vs rest)',
    );
  }
  if (report.calibration) charts.calibration = calibrationChart(report.calibration);
  if (report.confusion) charts.confusion = confusionChart(report.confusion, report.classes);
  if (report.residuals) charts.residuals = residualsChart(report.residuals);
  return charts;
}

/** The run's activity timings, or none when Temporal is unreachable or no longer holds the run. */
async function runActivities(ctx: ConsoleContext, workflowId: string, runId: string | undefined): Promise<ActivityTiming[]> {
  if (!ctx.temporal || !runId) return [];
  return activityTimings(ctx.temporal, workflowId, runId).catch(() => []);
}

export const versionPage: PageHandler = async (ctx, [name, v]) => {
  const loaded = await loadVersion(ctx, name!, v!);
  if (!loaded) return null;
  const { mv, report } = loaded;
  const p = mv.properties;
  const datasetUri = typeof p.datasetUri === 'string' ? p.datasetUri : null;
  const [dataset, stages] = await Promise.all([
    datasetUri ? ctx.stores.lineage.artifactByUri(datasetUri) : undefined,
    stageTimings(ctx.stores.pool, mv.runKey),
  ]);
  const run = splitRunKey(mv.runKey);
  const charts = evaluationCharts(report, `v${mv.version}`);
  const gain = importanceBars(p.importance);
  const permutation = importanceBars(p.permutationImportance);
  if (gain.length) charts['importance-gain'] = barChart(gain, 'gain / |coefficient|');
  if (permutation.length) charts['importance-permutation'] = barChart(permutation, 'drop of the primary metric when shuffled');
  const metric = report ? sliceMetric(report) : null;
  if (report && metric)
    charts.slices = barChart(
      report.slices.map((s) => ({ label: `${s.attribute}=${s.group ?? '(missing)'}`, value: s.metrics[metric] as number, group: s.attribute })),
      metric,
    );
  const activities = await runActivities(ctx, run.workflowId, run.runId);
  if (activities.length)
    charts.stages = barChart(
      activities.map((a, i) => ({ label: `${i + 1}. ${a.activity}`, value: a.ms / 1000 })),
      'seconds',
    );
  const columns = (dataset?.properties.columns ?? []) as { name: string; type: string }[];
  const body = html`
<p class="links"><a class="temporal" href="${workflowUrl(ctx.temporalUi, run.workflowId, run.runId)}">run ${run.workflowId}</a>
 · <a href="/models/${seg(mv.model)}/versions/${mv.version}/lineage">lineage</a>
 · <a href="/compare?model=${seg(mv.model)}&v=${mv.version}${mv.version > 1 ? `&v=${mv.version - 1}` : ''}">compare with v${mv.version > 1 ? mv.version - 1 : mv.version}</a></p>
<h2>Metrics</h2>
${table({ id: 'metrics', head: ['metric', 'test split'], rows: Object.entries(mv.metrics).map(([k, val]) => [k, fmtNumber(val)]) })}
<p>algorithm <b>${String(p.algorithm ?? '—')}</b> · decision threshold ${fmtNumber(p.threshold)} · test rows ${report?.rows ?? '—'} · model sha256 <code>${mv.sha256}</code></p>
${report ? evaluationFigures(charts) : html`<p class="empty">This version was registered before evaluation reports were stored: no curves.</p>`}
<h2>Fairness slices</h2>
${report ? slicesSection(report, metric) : html`<p class="empty">No slices.</p>`}
<h2>Feature importance</h2>
${gain.length ? chart('importance-gain', 'Gain (trees) or |coefficient| (linear)') : ''}
${permutation.length ? chart('importance-permutation', 'Permutation importance on the test split') : ''}
<h2>Params</h2>
<pre id="params">${JSON.stringify(p.params ?? {}, null, 2)}</pre>
<h2>Dataset</h2>
${
  dataset
    ? html`<p>sha256 <a href="/datasets/${seg(dataset.sha256)}/lineage"><code>${dataset.sha256}</code></a> · ${fmtNumber(dataset.properties.rows)} rows · source <code>${String(dataset.properties.sourceUri ?? '')}</code></p>
${table({ id: 'schema', head: ['column', 'type'], rows: columns.map((c) => [c.name, c.type]) })}`
    : html`<p class="empty">No dataset recorded.</p>`
}
<h2>Code and stages</h2>
<p>code version <code>${String(p.codeVersion ?? stages[0]?.codeVersion ?? '—')}</code> · seed ${String(p.seed ?? '—')}</p>
${table({ id: 'stages', head: ['stage', 'status', 'recorded'], rows: stages.map((s) => [s.stage, s.status, fmtTime(s.endedAt ?? s.startedAt)]) })}
${
  activities.length
    ? html`${chart('stages', 'Stage timings (activities of the run, scheduled to closed)')}
${table({ id: 'activities', head: ['activity', 'status', 'seconds'], rows: activities.map((a) => [a.activity, a.status, fmtNumber(a.ms / 1000, 3)]) })}`
    : html`<p class="empty">Stage timings come from the run's history in Temporal, which is not reachable.</p>`
}`;
  return {
    title: `${mv.model} v${mv.version}`,
    crumbs: [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(mv.model)}`, text: mv.model },
    ],
    body,
    charts,
    data: { version: { ...mv, properties: { ...p, spec: undefined } }, evaluation: report, dataset: dataset ?? null, stages, activities },
  };
};

function evaluationFigures(charts: Record<string, Spec>): Markup {
  return html`<div class="grid">
${charts.roc ? chart('roc', 'ROC curve') : ''}
${charts.pr ? chart('pr', 'Precision-recall curve') : ''}
${charts.calibration ? chart('calibration', 'Calibration') : ''}
${charts.confusion ? chart('confusion', 'Confusion matrix (rows: actual)') : ''}
${charts.residuals ? chart('residuals', 'Residuals') : ''}
</div>`;
}

function slicesSection(report: EvaluationReport, metric: string | null): Markup {
  const keys = [...new Set(report.slices.flatMap((s) => Object.keys(s.metrics)))].slice(0, 6);
  const fairness = Object.entries(report.fairness);
  return html`
${table({ id: 'slices', empty: 'No slice attributes.', head: ['attribute', 'group', 'rows', ...keys], rows: report.slices.map((s) => [s.attribute, s.group ?? '(missing)', s.count, ...keys.map((k) => fmtNumber(s.metrics[k]))]) })}
${metric ? chart('slices', `${metric} per slice`) : ''}
${
  fairness.length
    ? table({
        id: 'fairness',
        head: ['protected attribute', 'demographic parity difference', 'equal opportunity difference', 'max AUC gap'],
        rows: fairness.map(([a, f]) => [a, fmtNumber(f.demographicParityDifference), fmtNumber(f.equalOpportunityDifference), fmtNumber(f.maxAucGap)]),
      })
    : ''
}`;
}
