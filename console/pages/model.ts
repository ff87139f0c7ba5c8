// /models/<name>: versions with key metrics, the alias history as a timeline, the A/B test (arms, outcomes,
// the always-valid p-value over time) and links to the model's workflows in the Temporal UI.
import { timeChart, type Spec } from '../charts';
import type { ConsoleContext, PageHandler } from '../context';
import { chart, fmtNumber, fmtTime, html, seg, table, type Markup } from '../html';
import { listVersionRows } from '../queries';
import { ctWorkflowId, driftWorkflowId } from '../../workflows/contracts';
import { abTestView, modelWorkflowsUrl, splitRunKey, workflowUrl, type AbTestView } from '../temporal';

export const KEY_METRICS = ['roc_auc', 'average_precision', 'accuracy', 'f1', 'log_loss', 'macro_f1', 'rmse', 'mae', 'r2'];

export function isModelName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name);
}

export const modelPage: PageHandler = async (ctx, [name]) => {
  if (!name || !isModelName(name)) return null;
  const [versions, history, aliases, ab] = await Promise.all([
    listVersionRows(ctx.stores.pool, name),
    ctx.stores.registry.aliasHistory(name),
    ctx.stores.pool.query<{ alias: string; version: number }>('SELECT alias, version FROM model_aliases WHERE model = $1', [name]),
    abSection(ctx, name),
  ]);
  if (versions.length === 0) return null;
  const aliasOf = new Map<number, string[]>();
  for (const a of aliases.rows) aliasOf.set(a.version, [...(aliasOf.get(a.version) ?? []), a.alias]);
  const metrics = KEY_METRICS.filter((k) => versions.some((v) => typeof v.metrics[k] === 'number'));
  const versionRows = versions.map((v) => {
    const run = splitRunKey(v.runKey);
    return [
      html`<input type="checkbox" name="v" value="${v.version}" aria-label="compare v${v.version}">`,
      html`<a href="/models/${seg(name)}/versions/${v.version}">v${v.version}</a> ${(aliasOf.get(v.version) ?? []).map((a) => html`<span class="alias">${a}</span>`)}`,
      v.algorithm ?? '—',
      ...metrics.map((k) => fmtNumber(v.metrics[k])),
      fmtTime(v.createdAt),
      html`<a class="temporal" href="${workflowUrl(ctx.temporalUi, run.workflowId, run.runId)}">${run.workflowId}</a>`,
    ];
  });
  const moves = history.slice().reverse();
  const charts: Record<string, Spec> = {
    'metric-history': timeChart(
      versions.flatMap((v) => metrics.slice(0, 3).map((k) => ({ at: v.createdAt.toISOString(), series: k, value: (v.metrics[k] as number | null) ?? null }))),
      'metric on the test split',
    ),
    'alias-timeline': timeChart(
      history.map((m) => ({ at: m.at.toISOString(), series: m.alias, value: m.toVersion ?? 0 })),
      'version (0 = unset)',
    ),
    ...ab.charts,
  };
  const body = html`
<p class="links">
  <a href="${modelWorkflowsUrl(ctx.temporalUi, name)}" class="temporal">workflows in the Temporal UI</a>
  · <a href="${workflowUrl(ctx.temporalUi, ctWorkflowId(name))}" class="temporal">continuous training (${ctWorkflowId(name)})</a>
  · <a href="${workflowUrl(ctx.temporalUi, driftWorkflowId(name))}" class="temporal">drift monitor (${driftWorkflowId(name)})</a>
  · <a href="/models/${seg(name)}/drift">drift</a>
  · <a href="/models/${seg(name)}/versions/${versions[0]!.version}/lineage">lineage of v${versions[0]!.version}</a>
</p>
<h2>Versions</h2>
<form method="get" action="/compare"><input type="hidden" name="model" value="${name}">
${table({ id: 'versions', head: ['', 'version', 'algorithm', ...metrics, 'registered', 'run'], rows: versionRows })}
<button type="submit">Compare selected</button></form>
${chart('metric-history', 'Key metrics by version')}
<h2>Alias history</h2>
${chart('alias-timeline', 'Where each alias pointed over time')}
${table({
  id: 'alias-history',
  empty: 'No alias has moved yet.',
  head: ['when', 'alias', 'from', 'to', 'who', 'why'],
  rows: moves.map((m) => [
    fmtTime(m.at),
    m.alias,
    m.fromVersion === null ? '—' : `v${m.fromVersion}`,
    m.toVersion === null ? '—' : `v${m.toVersion}`,
    m.actor,
    m.reason,
  ]),
})}
<h2>A/B test</h2>
${ab.body}`;
  return {
    title: `Model ${name}`,
    crumbs: [{ href: '/models', text: 'Models' }],
    body,
    charts,
    data: { model: name, versions, aliasHistory: history, abTest: ab.view },
  };
};

async function abSection(ctx: ConsoleContext, model: string): Promise<{ body: Markup; charts: Record<string, Spec>; view: AbTestView | null }> {
  if (!ctx.temporal) return { body: html`<p class="empty">Temporal is not reachable from the console.</p>`, charts: {}, view: null };
  let view: AbTestView | null;
  try {
    view = await abTestView(ctx.temporal, model);
  } catch (err) {
    return { body: html`<p class="error">Could not read the A/B test from Temporal: ${(err as Error).message}</p>`, charts: {}, view: null };
  }
  if (!view) return { body: html`<p class="empty">This model has had no A/B test.</p>`, charts: {}, view };
  const last = view.checks.at(-1);
  const n = last?.numbers;
  const arms = n
    ? table({
        id: 'ab-arms',
        head: ['arm', 'version', 'trials', 'successes', 'rate'],
        rows: [
          ['champion', view.input?.champion === undefined ? '—' : `v${view.input.champion}`, n.controlTrials, n.controlSuccesses, fmtNumber(n.controlRate)],
          [
            'challenger',
            view.input?.challenger === undefined ? '—' : `v${view.input.challenger}`,
            n.treatmentTrials,
            n.treatmentSuccesses,
            fmtNumber(n.treatmentRate),
          ],
        ],
      })
    : html`<p class="empty">No check yet.</p>`;
  const pValues = view.checks.flatMap((c) => [
    { at: c.at.toISOString(), series: 'always-valid p-value', value: c.numbers.alwaysValidPValue ?? null },
    { at: c.at.toISOString(), series: 'fixed-horizon p-value', value: c.numbers.pValue ?? null },
  ]);
  return {
    view,
    charts: { 'ab-pvalue': timeChart(pValues, 'p-value') },
    body: html`
<p><a class="temporal" href="${workflowUrl(ctx.temporalUi, view.workflowId, view.runId)}">${view.workflowId}</a> · ${view.status.toLowerCase()}
 · ${view.input?.strategy ?? ''} ${view.input?.share === undefined ? '' : `${fmtNumber(view.input.share * 100, 3)}%`} · ${view.checks.length} checks
 ${last ? html` · last decision <b>${last.decision}</b>: ${last.reason}` : ''}</p>
${arms}
${chart('ab-pvalue', 'p-value over time')}`,
  };
}
