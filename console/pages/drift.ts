// Drift pages: per model, each column's statistic and p-value over the monitor's checks; per report, the
// reference vs current histogram of every column.
import { histogramChart, timeChart, type Spec } from '../charts';
import type { PageHandler } from '../context';
import { chart, fmtNumber, fmtTime, html, seg, table } from '../html';
import { driftReport, driftReports } from '../queries';
import { driftWorkflowId } from '../../workflows/contracts';
import { workflowUrl } from '../temporal';
import { isModelName } from './model';

export const driftPage: PageHandler = async (ctx, [name]) => {
  if (!name || !isModelName(name)) return null;
  const reports = await driftReports(ctx.stores.pool, name);
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
  const body = html`
<p class="links"><a class="temporal" href="${workflowUrl(ctx.temporalUi, driftWorkflowId(name))}">drift monitor ${driftWorkflowId(name)} in the Temporal UI</a></p>
${reports.length ? html`<div class="grid">${chart('statistic', 'Drift statistic per column')}${chart('p-value', 'p-value per column (tests that give one)')}</div>` : ''}
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
<p class="empty">No performance estimate (CBPE) is computed by this deployment.</p>`;
  return {
    title: `Drift of ${name}`,
    crumbs: [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(name)}`, text: name },
    ],
    body,
    charts,
    data: { model: name, reports: reports.map((r) => ({ ...r, columns: r.columns.map(({ histogram: _h, ...c }) => c) })) },
  };
};

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
