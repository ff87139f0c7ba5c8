// Lays a lineage graph out in layers: artifacts nobody in the graph produced sit in layer 0, an execution
// one layer right of its deepest input, its outputs one layer right of it. Every node gets the link a
// person follows: a model version, a dataset's downstream graph, an artifact page, or the run in Temporal.
import type { LineageGraph } from '../core/store/lineage';
import type { GraphNode } from './charts';
import { seg } from './html';
import { splitRunKey, workflowUrl } from './temporal';

export interface LaidOutGraph {
  nodes: (GraphNode & { detail: string })[];
  edges: { from: string; to: string }[];
}

/** The pipeline run of an execution key `<workflowId>/<runId>/<stage>`. */
export function runOfExecution(key: string): { workflowId: string; runId?: string } {
  return splitRunKey(key.slice(0, key.lastIndexOf('/')));
}

export function artifactHref(a: { id: number; type: string; sha256: string; properties: Record<string, unknown> }): string {
  const { name, version } = a.properties as { name?: unknown; version?: unknown };
  if (a.type === 'Model' && typeof name === 'string' && typeof version === 'number') return `/models/${seg(name)}/versions/${version}`;
  if (a.type === 'Dataset') return `/datasets/${seg(a.sha256)}/lineage`;
  return `/artifacts/${a.id}`;
}

export function layoutLineage(graph: LineageGraph, temporalUi: string): LaidOutGraph {
  const depth = new Map<string, number>();
  const edges: { from: string; to: string }[] = [];
  const executions = graph.executions.slice().sort((a, b) => a.id - b.id);
  const known = new Set(graph.artifacts.map((a) => a.uri));
  for (const e of executions) {
    const inputs = e.inputs.filter((u) => known.has(u));
    const d = Math.max(0, ...inputs.map((u) => (depth.get(`a:${u}`) ?? 0) + 1));
    depth.set(`x:${e.id}`, d);
    for (const u of inputs) edges.push({ from: `a:${u}`, to: `x:${e.id}` });
    for (const u of e.outputs.filter((o) => known.has(o))) {
      depth.set(`a:${u}`, Math.max(depth.get(`a:${u}`) ?? 0, d + 1));
      edges.push({ from: `x:${e.id}`, to: `a:${u}` });
    }
  }
  const lanes = new Map<number, number>();
  const place = (id: string): { x: number; y: number } => {
    const x = depth.get(id) ?? 0;
    const y = lanes.get(x) ?? 0;
    lanes.set(x, y + 1);
    return { x, y };
  };
  const nodes: LaidOutGraph['nodes'] = [];
  for (const a of graph.artifacts) {
    nodes.push({
      id: `a:${a.uri}`,
      kind: 'artifact',
      label: `${a.type} ${a.sha256.slice(0, 8)}`,
      detail: a.uri,
      href: artifactHref(a),
      ...place(`a:${a.uri}`),
    });
  }
  for (const e of executions) {
    const run = runOfExecution(e.key);
    nodes.push({
      id: `x:${e.id}`,
      kind: 'execution',
      label: `${e.stage} (${e.status})`,
      detail: run.workflowId,
      href: workflowUrl(temporalUi, run.workflowId, run.runId),
      ...place(`x:${e.id}`),
    });
  }
  return { nodes: nodes.sort((a, b) => a.x - b.x || a.y - b.y), edges };
}
