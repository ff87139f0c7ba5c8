// /models: every model with its production and challenger versions, the last run and its status, the
// drift state and the live request rate.
import type { PageHandler } from '../context';
import { fmtNumber, fmtTime, html, seg, table } from '../html';
import { listModels } from '../queries';
import { splitRunKey, workflowUrl } from '../temporal';

export const modelsPage: PageHandler = async (ctx) => {
  const models = await listModels(ctx.stores.pool);
  const version = (model: string, v: number | undefined) => (v === undefined ? '—' : html`<a href="/models/${seg(model)}/versions/${v}">v${v}</a>`);
  const rows = models.map((m) => {
    const run = m.lastRun ? splitRunKey(m.lastRun.run) : null;
    return [
      html`<a class="model" href="/models/${seg(m.name)}">${m.name}</a>`,
      version(m.name, m.aliases.production),
      version(m.name, m.aliases.challenger),
      m.latestVersion === null ? '—' : html`${version(m.name, m.latestVersion)} of ${m.versions}`,
      m.lastRun && run
        ? html`<a href="${workflowUrl(ctx.temporalUi, run.workflowId, run.runId)}">${run.workflowId}</a> <span class="status ${m.lastRun.status}">${m.lastRun.stage} ${m.lastRun.status}</span> <small>${fmtTime(m.lastRun.at)}</small>`
        : '—',
      m.drift
        ? html`<a href="/models/${seg(m.name)}/drift" class="${m.drift.datasetDrift ? 'bad' : 'good'}">${m.drift.datasetDrift ? 'drift' : 'no drift'} (${fmtNumber(m.drift.driftedShare * 100, 3)}% of columns)</a>`
        : html`<a href="/models/${seg(m.name)}/drift">not checked</a>`,
      fmtNumber(m.requestRate, 3),
    ];
  });
  return {
    title: 'Models',
    body: table({
      id: 'models',
      head: ['model', 'production', 'challenger', 'latest', 'last run', 'drift', 'requests/s (5 min)'],
      rows,
      empty: 'No model registered yet: run a pipeline (mlops run ct … or npm run demo).',
    }),
    charts: {},
    data: { models },
  };
};
