// `npm run demo`: the stack, a level-0 pipeline advanced stage by stage (so its gates are visible), then a
// level-1 pipeline on real data, and what they left behind: the registry entry and the lineage.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../core/config';
import { openStores } from '../core/store';
import { up } from '../infra/stack';
import { projectRoot } from '../infra/paths';
import { advanceUpdate, ctWorkflowId, retrainSignal, type RunResult, statusQuery, workflows } from '../workflows/contracts';

const data = (...p: string[]): string => path.join(projectRoot(), 'node_modules', ...p);

function uiLink(ui: string, namespace: string, workflowId: string): string {
  return `${ui}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
}

export async function demoCommand(): Promise<number> {
  const say = (line: string): void => console.log(line);
  say('== 1/4 local stack');
  const stack = await up({ log: (l) => say(`   ${l}`) });
  say(`   Temporal UI: ${String(stack.temporal.ui)}`);
  say(`   Console: ${String(stack.console.url)}`);
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const stores = openStores(config);
  const ui = String(stack.temporal.ui);
  try {
    say('\n== 2/4 level 0: a manual pipeline on the 1985 CPS wages (predict union membership)');
    say('   race is prohibited, gender protected (fairness slices only); every stage waits for approval');
    const manualId = `demo-manual-${randomUUID().slice(0, 8)}`;
    const manual = await client.workflow.start(workflows.manualPipeline, {
      workflowId: manualId,
      taskQueue: config.taskQueue,
      args: [
        {
          name: 'cps-union',
          data: { uri: data('@stdlib', 'datasets-berndt-cps-wages-1985', 'data', 'data.csv') },
          target: 'union',
          governance: { prohibited: ['race'], protected: ['gender'], license: 'CPS 1985 public use', purpose: 'research', allowedPurposes: ['research'] },
          gates: { min: { roc_auc: 0.6 } },
        },
      ],
    });
    say(`   ${uiLink(ui, config.temporal.namespace, manualId)}`);
    const shown = new Set<string>();
    for (;;) {
      const st = await manual.query(statusQuery);
      if (st.stage === 'done') break;
      if (st.waitingFor) {
        const fresh = Object.entries(st.artifacts).filter(([k]) => !shown.has(k));
        for (const [k] of fresh) shown.add(k);
        const produced = fresh.map(([k, v]) => `${k} ${v}`).join(', ');
        say(`   waiting at ${st.waitingFor}${produced ? ` (new: ${produced})` : ''} → mlops advance ${manualId}`);
        await manual.executeUpdate(advanceUpdate, { args: [{ stage: st.waitingFor, reason: 'approved by the demo' }] });
      } else {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const m = (await manual.result()) as RunResult;
    say(`   result: ${m.status}; ${m.model ? `cps-union v${m.model.version} roc_auc=${m.model.metrics.roc_auc?.toFixed(3)}` : 'no model'}`);
    for (const r of m.reasons) say(`   - ${r}`);

    say("\n== 3/4 level 1: continuous training on seattle-weather (predict the weather from the day's measurements)");
    const started = Date.now();
    const requestId = randomUUID();
    const run = { trigger: 'manual' as const, requestId, reason: 'demo' };
    const ctId = ctWorkflowId('seattle-weather');
    const input = {
      name: 'seattle-weather',
      data: { uri: data('vega-datasets', 'data', 'seattle-weather.csv') },
      target: 'weather',
      features: {
        derive: [
          { name: 'month', op: 'month', input: 'date' },
          { name: 'holiday', op: 'holiday', input: 'date' },
          { name: 'temp_range', op: 'weighted_sum', inputs: ['temp_max', 'temp_min'], weights: [1, -1] },
        ],
      },
      training: { l2: [0.1, 1, 10] },
    };
    const handle = await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
      workflowId: ctId,
      taskQueue: config.taskQueue,
      args: [{ ...input, run }],
      signal: retrainSignal,
      signalArgs: [run],
    });
    say(`   ${uiLink(ui, config.temporal.namespace, ctId)}`);
    let last = '';
    const progress = setInterval(() => {
      client.workflow
        .getHandle(ctId, handle.signaledRunId)
        .query(statusQuery)
        .then(
          (st) => {
            const now = String(st.stage ?? 'starting');
            if (now !== last) say(`   stage: ${(last = now)}`);
          },
          () => undefined,
        );
    }, 150);
    const r = (await client.workflow.getHandle(ctId, handle.signaledRunId).result()) as RunResult;
    clearInterval(progress);
    say(`   result: ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s; stage times (ms) ${JSON.stringify(r.timingsMs)}`);
    for (const reason of r.reasons) say(`   - ${reason}`);

    say('\n== 4/4 what the runs left behind');
    for (const name of ['cps-union', 'seattle-weather']) {
      const versions = await stores.registry.listVersions(name).catch(() => []);
      const production = await stores.registry.getAlias(name, 'production').catch(() => undefined);
      say(`   registry: ${name}: ${versions.length} version(s), production → ${production === undefined ? 'none' : `v${production}`}`);
      if (production !== undefined) {
        const mv = (await stores.registry.getVersion(name, production))!;
        const artifact = await stores.lineage.artifactByUri(mv.uri);
        const graph = (artifact ? await stores.lineage.producingRun(artifact.id) : undefined) ?? { executions: [], artifacts: [] };
        say(`   lineage of ${name}@${production}: ${graph.executions.map((e) => e.stage).join(' → ')}`);
        for (const a of graph.artifacts.filter((x) => x.type === 'Dataset' || x.type === 'Model')) say(`     ${a.type} ${a.sha256.slice(0, 12)} ${a.uri}`);
      }
    }
    const serveUrl = `http://${config.serveAddress}`;
    const sample = { date: '2015-07-04', precipitation: 0, temp_max: 27.2, temp_min: 14.4, wind: 2.1 };
    const res = await fetch(`${serveUrl}/v1/models/seattle-weather:predict`, { method: 'POST', body: JSON.stringify({ instances: [sample] }) }).catch(
      () => undefined,
    );
    if (res?.ok) {
      const body = (await res.json()) as { predictions: { label: string; probabilities: Record<string, number> }[]; model_version: string };
      const p = body.predictions[0]!;
      say(`   served: POST ${serveUrl}/v1/models/seattle-weather:predict ${JSON.stringify(sample)}`);
      say(`     → ${p.label} (p=${p.probabilities[p.label]!.toFixed(2)}) from v${body.model_version}`);
    }
    say(`\nConsole: ${String(stack.console.url)}/models (versions, curves, lineage, drift of both models)`);
    say(`\nExplore: ${ui} · mlops models show seattle-weather · mlops lineage seattle-weather · mlops runs compare --model seattle-weather`);
    return 0;
  } finally {
    await stores.close();
    await connection.close();
  }
}
