// Drift pages: per model, each column's statistic and p-value over the monitor's checks beside the
// performance estimated before labels (CBPE) and, once labels arrive, the realised performance; per report,
// the reference vs current histogram of every column.
import { ESTIMATED_METRICS } from '../../core/monitor/cbpe';
import { estimateChart, histogramChart, timeChart, type EstimatePoint, type Spec } from '../charts';
import type { PageHandler } from '../context';
import { chart, fmtNumber, fmtTime, html, seg, table, type Markup } from '../html';
import { driftReport, driftReports, performanceEstimates, type EstimateRow } from '../queries';
import { driftWorkflowId } from '../../workflows/contracts';
import { workflowUrl } from '../temporal';
import { isModelName } from './model';

export const driftPage: PageHandler = async (ctx, [name]) => {
  if (!name || !isModelName(name)) return null;
  const [reports, estimates] = await Promise.all([driftReports(ctx.stores.pool, name), performanceEstimates(ctx.stores.pool, name)]);
  const points = reports.flatMap((r) =>
    r.columns.map((c) => ({ at: r.at.toISOString(), column: c.name, statistic: c.statistic, pValue: c.pValue, method: c.method })),
  );
  const charts: Record<string, Spec> = reports.length
    ? {
        statistic: timeChart(
          points.map((p) => ({ at: p.at, series: p.column, value: p.statistic })),
          'statistic',
        ),
        'p-value': timeChart(
          points.map((p) => ({ at: p.at, series: p.column, value: p.pValue })),
          'p-value',
        ),
      }
    : {};
  if (estimates.length) charts.estimate = estimateChart(estimatePoints(estimates));
  const body = html`
<p class="links"><a class="temporal" href="${workflowUrl(ctx.temporalUi, driftWorkflowId(name))}">drift monitor ${driftWorkflowId(name)} in the Temporal UI</a></p>
<div class="grid">
${reports.length ? html`${chart('statistic', 'Drift statistic per column')}${chart('p-value', 'p-value per column (tests that give one)')}` : ''}
${estimates.length ? chart('estimate', 'Estimated performance before labels (CBPE, 95% band) and realised (squares)') : ''}
</div>
<h2>Performance estimate (CBPE)</h2>
${estimateTable(estimates)}
<h2>Reports</h2>
${table({
  id: 'drift-reports',
  empty: 'No drift check has run for this model yet (the monitor starts after a deploy).',
  head: ['when', 'version', 'rows', 'drifted columns', 'dataset drift'],
  rows: reports.map((r) => [
    html`<a href="/models/${seg(name)}/drift/${r.id}">${fmtTime(r.at)}</a>`,
    `v${r.version}`,
    r.rows,
    html`${r.columns.filter((c) => c.drifted).map((c) => html`<span class="col">${c.name}</span> `)}`,
    r.datasetDrift ? 'yes' : 'no',
  ]),
})}
`;
  return {
    title: `Drift of ${name}`,
    crumbs: [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(name)}`, text: name },
    ],
    body,
    charts,
    data: { model: name, reports: reports.map((r) => ({ ...r, columns: r.columns.map(({ histogram: _h, ...c }) => c) })), estimates },
  };
};

function estimatePoints(estimates: EstimateRow[]): EstimatePoint[] {
  return estimates.flatMap((e) =>
    ESTIMATED_METRICS.flatMap((metric) => {
      const estimated = e.estimated[metric];
      if (typeof estimated !== 'number') return [];
      const band = e.interval[metric];
      const realised = e.realised?.[metric];
      return [
        {
          at: e.windowEnd.toISOString(),
          metric,
          version: e.version,
          estimated,
          ...(band ? { lo: band[0], hi: band[1] } : {}),
          ...(typeof realised === 'number' ? { realised } : {}),
        },
      ];
    }),
  );
}

/** The newest estimate per metric next to the test split, and the newest window whose labels arrived: estimated vs realised. */
function estimateTable(estimates: EstimateRow[]): Markup {
  const latest = estimates.at(-1);
  if (!latest)
    return html`<p class="empty">No performance estimate yet: the monitor estimates a binary classifier's accuracy, F1 and ROC-AUC from the served probabilities of each window.</p>`;
  const labelled = estimates.filter((e) => e.realised).at(-1);
  const interval = (b: [number, number] | null | undefined) => (b ? `${fmtNumber(b[0])} – ${fmtNumber(b[1])}` : '—');
  return html`<p>Latest window: v${latest.version}, ${fmtTime(latest.windowStart)} to ${fmtTime(latest.windowEnd)}, ${latest.rows} predictions.
${labelled ? html`Newest window with labels: ${fmtTime(labelled.windowEnd)}, ${labelled.labels} labels.` : 'No labels have arrived for any window yet.'}</p>
${table({
  id: 'cbpe-latest',
  head: ['metric', 'estimated', '95% interval', 'test split', 'estimated (labelled window)', 'realised', 'error'],
  rows: ESTIMATED_METRICS.map((k) => {
    const est = labelled?.estimated[k];
    const real = labelled?.realised?.[k];
    return [
      k,
      fmtNumber(latest.estimated[k]),
      interval(latest.interval[k]),
      fmtNumber(latest.reference[k]),
      fmtNumber(est),
      fmtNumber(real),
      typeof est === 'number' && typeof real === 'number' ? fmtNumber(est - real, 3) : '—',
    ];
  }),
})}`;
}

export const driftReportPage: PageHandler = async (ctx, [name, id]) => {
  if (!name || !isModelName(name) || !/^[1-9]\d{0,15}$/.test(id ?? '')) return null;
  const r = await driftReport(ctx.stores.pool, name, Number(id));
  if (!r) return null;
  const charts: Record<string, Spec> = {};
  r.columns.forEach((c, i) => {
    if (c.histogram) charts[`hist-${i}`] = histogramChart(c.histogram.bars, c.histogram.referenceTotal, c.histogram.currentTotal);
  });
  const body = html`
<p>v${r.version} · ${r.rows} logged rows · ${fmtNumber(r.driftedShare * 100, 3)}% of columns drifted · dataset drift <b>${r.datasetDrift ? 'yes' : 'no'}</b></p>
${table({
  id: 'drift-columns',
  head: ['column', 'type', 'method', 'statistic', 'p-value', 'threshold', 'drifted'],
  rows: r.columns.map((c) => [c.name, c.type, c.method, fmtNumber(c.statistic), fmtNumber(c.pValue), fmtNumber(c.threshold), c.drifted ? 'yes' : 'no']),
})}
<div class="grid">${r.columns.map((c, i) => (c.histogram ? chart(`hist-${i}`, c.name) : html`<p class="empty">${c.name}: no histogram stored with this report</p>`))}</div>`;
  return {
    title: `Drift report ${r.id} of ${name}`,
    crumbs: [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(name)}`, text: name },
      { href: `/models/${seg(name)}/drift`, text: 'drift' },
    ],
    body,
    charts,
    data: { model: name, report: r },
  };
};
