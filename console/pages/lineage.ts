// Lineage pages: upstream of a model version, downstream of a dataset, and one artifact. The graph is drawn
// as a chart whose nodes are links; the same nodes are listed as a table of links.
import { graphChart } from '../charts';
import type { ConsoleContext, PageResult, PageHandler } from '../context';
import { chart, fmtTime, html, seg, table } from '../html';
import { artifactHref, layoutLineage, runOfExecution } from '../lineage-layout';
import type { LineageGraph } from '../../core/store/lineage';
import { workflowUrl } from '../temporal';
import { isModelName } from './model';

function graphPage(ctx: ConsoleContext, graph: LineageGraph, title: string, crumbs: PageResult['crumbs'], note: string): PageResult {
  const laid = layoutLineage(graph, ctx.temporalUi);
  const body = html`<p>${note}</p>
${chart('lineage', `${laid.nodes.length} nodes, ${laid.edges.length} edges`)}
${table({ id: 'lineage-nodes', head: ['kind', 'node', 'detail'], rows: laid.nodes.map((n) => [n.kind, html`<a href="${n.href}">${n.label}</a>`, html`<code>${n.detail}</code>`]) })}`;
  return { title, crumbs, body, charts: { lineage: graphChart(laid.nodes, laid.edges) }, data: { nodes: laid.nodes, edges: laid.edges } };
}

export const versionLineagePage: PageHandler = async (ctx, [name, v]) => {
  if (!name || !isModelName(name) || !/^[1-9]\d{0,8}$/.test(v ?? '')) return null;
  const mv = await ctx.stores.registry.getVersion(name, Number(v));
  if (!mv) return null;
  const artifact = await ctx.stores.lineage.artifactByUri(mv.uri);
  const graph = artifact ? await ctx.stores.lineage.upstream(artifact.id) : { artifacts: [], executions: [] };
  return graphPage(
    ctx,
    graph,
    `Lineage of ${name} v${mv.version}`,
    [
      { href: '/models', text: 'Models' },
      { href: `/models/${seg(name)}`, text: name },
      { href: `/models/${seg(name)}/versions/${mv.version}`, text: `v${mv.version}` },
    ],
    'Everything upstream of this version: the datasets, feature-set parts and plans it was made from, and the stages that made them.',
  );
};

export const datasetLineagePage: PageHandler = async (ctx, [sha]) => {
  if (!sha || !/^[0-9a-f]{64}$/.test(sha)) return null;
  const res = await ctx.stores.pool.query<{ id: string }>(`SELECT id FROM artifacts WHERE sha256 = $1 AND type = 'Dataset' ORDER BY id LIMIT 1`, [sha]);
  const id = res.rows[0]?.id;
  if (id === undefined) return null;
  const graph = await ctx.stores.lineage.downstream(Number(id));
  return graphPage(
    ctx,
    graph,
    `Downstream of dataset ${sha.slice(0, 12)}`,
    [{ href: '/models', text: 'Models' }],
    'Everything made from this dataset: the stages that read it and what they produced, model versions included.',
  );
};

export const artifactPage: PageHandler = async (ctx, [id]) => {
  if (!id || !/^[1-9]\d{0,15}$/.test(id)) return null;
  const res = await ctx.stores.pool.query(`SELECT id, uri, sha256, type, properties, created_at FROM artifacts WHERE id = $1`, [id]);
  const r = res.rows[0];
  if (!r) return null;
  const uses = await ctx.stores.pool.query(
    `SELECT e.type AS direction, x.id, x.key, x.stage, x.status, x.started_at FROM events e JOIN executions x ON x.id = e.execution_id
      WHERE e.artifact_id = $1 ORDER BY x.id LIMIT 200`,
    [id],
  );
  const a = {
    id: Number(r.id),
    uri: r.uri as string,
    sha256: r.sha256 as string,
    type: r.type as string,
    properties: r.properties as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
  const link = artifactHref(a);
  const body = html`<p>${a.type} · sha256 <code>${a.sha256}</code> · recorded ${fmtTime(a.createdAt)}</p>
<p>URI <code>${a.uri}</code>${link !== `/artifacts/${a.id}` ? html` · <a href="${link}">open</a>` : ''}</p>
<h2>Properties</h2><pre>${JSON.stringify(a.properties, null, 2)}</pre>
<h2>Executions</h2>
${table({
  id: 'artifact-uses',
  head: ['as', 'stage', 'status', 'started', 'run'],
  rows: uses.rows.map((u) => {
    const run = runOfExecution(u.key);
    return [
      u.direction === 'output' ? 'produced by' : 'read by',
      u.stage,
      u.status,
      fmtTime(u.started_at),
      html`<a class="temporal" href="${workflowUrl(ctx.temporalUi, run.workflowId, run.runId)}">${run.workflowId}</a>`,
    ];
  }),
})}`;
  return { title: `Artifact ${a.id}`, crumbs: [{ href: '/models', text: 'Models' }], body, charts: {}, data: { artifact: a, executions: uses.rows } };
};
