// CLI commands over the stores: lineage, models list|show, gc.
import { listTargets, type TargetRecord } from '../core/store/targets';
import os from 'node:os';
import { loadConfig } from '../core/config';
import type { DatasetSchema } from '../core/data/schema';
import { openStores, type Stores } from '../core/store';
import { collectGarbage, DEFAULT_GRACE_MS } from '../core/store/gc';
import { assertModelName, RegistryError } from '../core/store/registry';
import { CHALLENGER } from '../core/rollout/routing';
import { raiseRollbackAlert } from './alert-commands';
import { UsageError } from './usage-error';

async function withStores<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
  const stores = openStores(loadConfig());
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

function modelName(name: string | undefined, usage: string): string {
  if (!name) throw new UsageError(`missing model name; usage: ${usage}`);
  try {
    return assertModelName(name);
  } catch (err) {
    throw new UsageError((err as RegistryError).message);
  }
}

const iso = (d: Date | null): string => (d ? d.toISOString() : '-');

export async function lineageCommand(target: string | undefined, asJson: boolean): Promise<number> {
  const usage = 'mlops lineage NAME[@VERSION] [--json]';
  const [name, versionText] = (target ?? '').split('@');
  const model = modelName(name, usage);
  if (versionText !== undefined && !/^[1-9]\d*$/.test(versionText))
    throw new UsageError(`version ${JSON.stringify(versionText)} is not a positive integer; usage: ${usage}`);
  return withStores(async ({ registry, lineage }) => {
    let version = versionText ? Number(versionText) : await registry.getAlias(model, 'production');
    if (version === undefined) version = (await registry.listVersions(model)).at(-1)?.version;
    if (version === undefined) throw new UsageError(`model ${model} has no registered version`);
    const mv = await registry.getVersion(model, version);
    if (!mv) throw new UsageError(`model ${model} has no version ${version}`);
    const artifact = await lineage.artifactByUri(mv.uri);
    const graph = (artifact ? await lineage.producingRun(artifact.id) : undefined) ?? { run: null, artifacts: [], executions: [] };
    if (asJson) {
      console.log(JSON.stringify({ model: mv, run: graph.run, upstream: { executions: graph.executions, artifacts: graph.artifacts } }, null, 2));
      return 0;
    }
    console.log(`${model}@${version}  ${mv.uri}  sha256 ${mv.sha256}`);
    console.log(`pipeline run: ${graph.run ?? 'unknown'}`);
    console.log('\nexecutions (oldest first):');
    for (const e of graph.executions) {
      console.log(`  ${e.stage.padEnd(10)} ${e.status.padEnd(8)} code ${e.codeVersion}  ${iso(e.startedAt)} → ${iso(e.endedAt)}  ${e.key}`);
    }
    console.log('\nartifacts:');
    for (const a of graph.artifacts) console.log(`  ${a.type.padEnd(10)} ${a.sha256.slice(0, 12)}  ${a.uri}`);
    return 0;
  });
}

export async function modelsListCommand(asJson: boolean): Promise<number> {
  return withStores(async ({ registry }) => {
    const models = await registry.listModels();
    if (asJson) console.log(JSON.stringify(models, null, 2));
    else if (models.length === 0) console.log('no registered models');
    else {
      for (const m of models) {
        const aliases =
          Object.entries(m.aliases)
            .map(([a, v]) => `${a}=v${v}`)
            .join(' ') || '-';
        console.log(`${m.name.padEnd(24)} latest v${m.latestVersion ?? '-'}  ${aliases}`);
      }
    }
    return 0;
  });
}

export async function modelsShowCommand(name: string | undefined, asJson: boolean): Promise<number> {
  const model = modelName(name, 'mlops models show NAME [--json]');
  return withStores(async ({ registry, pool }) => {
    const versions = await registry.listVersions(model);
    if (versions.length === 0) throw new UsageError(`model ${model} is not registered`);
    const summary = (await registry.listModels()).find((m) => m.name === model)!;
    const history = await registry.aliasHistory(model);
    const targets = await listTargets(pool, model);
    if (asJson) {
      console.log(
        JSON.stringify(
          {
            name: model,
            aliases: summary.aliases,
            versions: versions.map((v) => ({ ...v, targets: targets.filter((t) => t.version === v.version) })),
            aliasHistory: history,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(`${model}: ${versions.length} version(s); aliases ${JSON.stringify(summary.aliases)}`);
    for (const v of versions) {
      console.log(`  v${v.version}  ${iso(v.createdAt)}  ${v.uri}  metrics ${JSON.stringify(v.metrics)}`);
      for (const t of targets.filter((x) => x.version === v.version)) console.log(`    ${describeTarget(t)}`);
    }
    console.log('alias history:');
    for (const h of history) {
      console.log(`  ${iso(h.at)}  ${h.alias}: ${h.fromVersion ?? '-'} → ${h.toVersion ?? '-'}  by ${h.actor}: ${h.reason}`);
    }
    return 0;
  });
}

export async function gcCommand(dryRun: boolean, graceHours: string | undefined): Promise<number> {
  let graceMs = DEFAULT_GRACE_MS;
  if (graceHours !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(graceHours)) throw new UsageError(`--grace-hours ${JSON.stringify(graceHours)} is not a non-negative number`);
    graceMs = Number(graceHours) * 3600 * 1000;
  }
  return withStores(async ({ artifacts, lineage }) => {
    const r = await collectGarbage(artifacts, lineage, { dryRun, graceMs });
    for (const d of r.deleted) console.log(`${dryRun ? 'would delete' : 'deleted'} ${d.key} (${d.size} bytes)`);
    console.log(
      `scanned ${r.scanned}: ${r.kept} referenced, ${r.young} unreferenced but younger than ${graceMs / 3600_000} h, ${r.deleted.length} ${dryRun ? 'to delete' : 'deleted'}`,
    );
    return 0;
  });
}

export async function schemaShowCommand(name: string | undefined, asJson: boolean): Promise<number> {
  const model = modelName(name, 'mlops schema show NAME [--json]');
  return withStores(async ({ schemas, artifacts }) => {
    const current = await schemas.current(model);
    if (!current) throw new UsageError(`model ${model} has no accepted schema yet; it is inferred from the first valid dataset of a run`);
    const schema = JSON.parse((await artifacts.getBuffer(artifacts.keyOf(current.uri), current.sha256)).toString('utf8')) as DatasetSchema;
    if (asJson) {
      console.log(JSON.stringify({ ...current, schema }, null, 2));
      return 0;
    }
    console.log(`${model} schema v${current.version} (accepted ${iso(current.createdAt)} by ${current.acceptedBy}: ${current.reason})`);
    for (const c of schema.columns) {
      const range = c.min !== undefined ? ` [${c.min}, ${c.max}]` : '';
      const domain = c.domain ? ` {${c.domain.slice(0, 8).join(', ')}${c.domain.length > 8 ? `, … ${c.domain.length} values` : ''}}` : '';
      console.log(`  ${c.name.padEnd(24)} ${c.kind.padEnd(9)} ${c.nullable ? 'nullable' : 'required'}${range}${domain}`);
    }
    return 0;
  });
}

export async function schemaAcceptCommand(name: string | undefined, fromRun: string | undefined, reason: string | undefined): Promise<number> {
  const model = modelName(name, 'mlops schema accept NAME [--from-run ID] [--reason R]');
  return withStores(async ({ schemas, lineage }) => {
    const execution = await lineage.latestExecution(model, 'validate', fromRun);
    if (!execution) {
      throw new UsageError(`no validated dataset for model ${model}${fromRun ? ` in run ${fromRun}` : ''}; run a pipeline first`);
    }
    const uri = execution.outputs.find((u) => /\/schemas\/[0-9a-f]{64}\.json$/.test(u));
    const graph = uri ? await lineage.artifactByUri(uri) : undefined;
    if (!graph) throw new UsageError(`run ${execution.key} recorded no observed schema`);
    const before = await schemas.current(model);
    const accepted = await schemas.accept(model, graph, os.userInfo().username, reason ?? `accepted by hand from ${execution.key}`);
    if (before && before.version === accepted.version) console.log(`${model}: schema v${accepted.version} already matches that dataset; nothing changed`);
    else console.log(`${model}: schema v${accepted.version} accepted from ${execution.key}`);
    return 0;
  });
}

interface RunRow {
  run: string;
  version: number;
  algorithm: string;
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
  primaryMetric: string;
  datasetSha256: string;
  codeVersion: string;
  seed: number;
  blessed: boolean | null;
  reasons: string[];
  startedAt: string;
}

async function runRows(model: string): Promise<RunRow[]> {
  return withStores(async ({ lineage }) => {
    const [trains, evaluations] = await Promise.all([lineage.stageRuns(model, 'train'), lineage.stageRuns(model, 'evaluate')]);
    const verdict = new Map(evaluations.map((e) => [e.run, e.params as { blessed?: boolean; reasons?: string[] }]));
    return trains.map((t) => {
      const p = t.params as Record<string, unknown>;
      const v = verdict.get(t.run);
      return {
        run: t.run,
        version: p.version as number,
        algorithm: p.algorithm as string,
        params: (p.params as Record<string, unknown>) ?? {},
        metrics: (p.metrics as Record<string, number | null>) ?? {},
        primaryMetric: p.primaryMetric as string,
        datasetSha256: p.datasetSha256 as string,
        codeVersion: t.codeVersion,
        seed: p.seed as number,
        blessed: v?.blessed ?? null,
        reasons: v?.reasons ?? [],
        startedAt: t.startedAt.toISOString(),
      };
    });
  });
}

export async function runsListCommand(name: string | undefined, asJson: boolean): Promise<number> {
  const model = modelName(name, 'mlops runs list --model NAME [--json]');
  const rows = await runRows(model);
  if (asJson) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) console.log(`no training runs for ${model}`);
  for (const r of rows) {
    const verdict = r.blessed === null ? 'not evaluated' : r.blessed ? 'blessed' : `rejected: ${r.reasons.join('; ')}`;
    console.log(
      `v${r.version}  ${r.startedAt}  ${r.algorithm} ${JSON.stringify(r.params)}  ${r.primaryMetric}=${r.metrics[r.primaryMetric]}  data ${r.datasetSha256.slice(0, 12)}  code ${r.codeVersion}  ${verdict}`,
    );
  }
  return 0;
}

export async function runsCompareCommand(name: string | undefined, asJson: boolean): Promise<number> {
  const model = modelName(name, 'mlops runs compare --model NAME [--json]');
  const rows = (await runRows(model)).slice(0, 8);
  if (rows.length === 0) throw new UsageError(`no training runs for ${model}`);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  // Every parameter any of these runs' algorithms has (l2; gbdt's learningRate, maxLeaves, …), one row each:
  // a run whose algorithm lacks a parameter shows "-".
  const paramNames = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const paramCell = (v: unknown): string | number | null =>
    v === undefined || v === null ? null : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
  const table: Record<string, (string | number | null)[]> = {
    algorithm: rows.map((r) => r.algorithm),
    ...Object.fromEntries(paramNames.map((k) => [k, rows.map((r) => paramCell(r.params[k]))])),
    'search metric': rows.map((r) => r.primaryMetric ?? null),
    dataset: rows.map((r) => r.datasetSha256.slice(0, 12)),
    code: rows.map((r) => r.codeVersion),
    blessed: rows.map((r) => (r.blessed === null ? '-' : String(r.blessed))),
  };
  for (const m of metrics) table[m] = rows.map((r) => r.metrics[m] ?? null);
  if (asJson) {
    console.log(JSON.stringify({ versions: rows.map((r) => r.version), rows: table }, null, 2));
    return 0;
  }
  const cell = (v: string | number | null): string => (v === null ? '-' : typeof v === 'number' ? Number(v.toPrecision(5)).toString() : v);
  const width = Math.max(6, ...Object.keys(table).map((k) => k.length));
  const colWidth = Math.max(
    8,
    ...Object.values(table)
      .flat()
      .map((v) => cell(v).length),
  );
  console.log(['metric'.padEnd(width), ...rows.map((r) => `v${r.version}`.padEnd(colWidth))].join('  ').trimEnd());
  for (const [k, values] of Object.entries(table)) console.log([k.padEnd(width), ...values.map((v) => cell(v).padEnd(colWidth))].join('  ').trimEnd());
  return 0;
}

function requireReason(reason: string | undefined, usage: string): string {
  if (!reason || reason.trim() === '') throw new UsageError(`an alias move by hand needs --reason (it goes into the alias history); usage: ${usage}`);
  return reason.trim();
}

/** Moves by hand end a rollout in progress: its challenger is removed, and abTest sees the move and stops. */
async function endRollout(registry: Stores['registry'], model: string, actor: string, reason: string): Promise<number | undefined> {
  const challenger = await registry.getAlias(model, CHALLENGER);
  if (challenger === undefined) return undefined;
  await registry.setAlias({ model, alias: CHALLENGER, version: null, actor, reason, details: { by: 'hand' }, expectedFrom: challenger });
  return challenger;
}

export async function modelsPromoteCommand(positionals: string[], reasonFlag: string | undefined): Promise<number> {
  const usage = 'mlops models promote NAME VERSION --reason R';
  const [name, versionText, ...extra] = positionals;
  const model = modelName(name, usage);
  if (!versionText || !/^[1-9]\d*$/.test(versionText) || extra.length > 0) throw new UsageError(`expected NAME and a positive VERSION; usage: ${usage}`);
  const reason = requireReason(reasonFlag, usage);
  const version = Number(versionText);
  const actor = `${os.userInfo().username} (mlops models promote)`;
  return withStores(async ({ registry }) => {
    if (!(await registry.getVersion(model, version))) throw new UsageError(`model ${model} has no version ${version}`);
    const from = (await registry.getAlias(model, 'production')) ?? null;
    const ended = await endRollout(registry, model, actor, `promoted v${version} by hand: ${reason}`);
    if (from === version) console.log(`${model}: production is already v${version}`);
    else {
      await registry.setAlias({
        model,
        alias: 'production',
        version,
        actor,
        reason,
        details: { by: 'hand', ...(ended !== undefined ? { endedRollout: ended } : {}) },
        expectedFrom: from,
      });
      console.log(`${model}: production v${from ?? '-'} → v${version}`);
    }
    if (ended !== undefined) console.log(`${model}: the rollout of challenger v${ended} ended`);
    return 0;
  });
}

export async function modelsRollbackCommand(positionals: string[], reasonFlag: string | undefined, toText: string | undefined): Promise<number> {
  const usage = 'mlops models rollback NAME --reason R [--to VERSION]';
  const [name, ...extra] = positionals;
  const model = modelName(name, usage);
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}; usage: ${usage}`);
  if (toText !== undefined && !/^[1-9]\d*$/.test(toText)) throw new UsageError(`--to ${JSON.stringify(toText)} is not a positive version; usage: ${usage}`);
  const reason = requireReason(reasonFlag, usage);
  const actor = `${os.userInfo().username} (mlops models rollback)`;
  return withStores(async ({ registry }) => {
    if ((await registry.listVersions(model)).length === 0) throw new UsageError(`model ${model} is not registered`);
    // A rollout in progress is what a rollback undoes first: the champion keeps serving.
    if (toText === undefined) {
      const ended = await endRollout(registry, model, actor, reason);
      if (ended !== undefined) {
        const production = (await registry.getAlias(model, 'production')) ?? null;
        console.log(`${model}: challenger v${ended} rolled back; production stays v${production ?? '-'}`);
        await raiseRollbackAlert({ model, from: production, to: production, challenger: ended, reason, actor });
        return 0;
      }
    }
    const current = await registry.getAlias(model, 'production');
    if (current === undefined) throw new UsageError(`model ${model} has no production version to roll back`);
    let target = toText !== undefined ? Number(toText) : undefined;
    if (target === undefined) {
      const moves = (await registry.aliasHistory(model, 'production')).filter((m) => m.toVersion === current && m.fromVersion !== null);
      target = moves.at(-1)?.fromVersion ?? undefined;
      if (target === undefined) throw new UsageError(`model ${model}: production v${current} has no earlier version to roll back to; use --to VERSION`);
    }
    if (!(await registry.getVersion(model, target))) throw new UsageError(`model ${model} has no version ${target}`);
    if (target === current) {
      console.log(`${model}: production is already v${target}`);
      return 0;
    }
    await endRollout(registry, model, actor, reason);
    await registry.setAlias({
      model,
      alias: 'production',
      version: target,
      actor,
      reason,
      details: { by: 'hand', rollbackFrom: current },
      expectedFrom: current,
    });
    console.log(`${model}: production v${current} → v${target} (rolled back)`);
    await raiseRollbackAlert({ model, from: current, to: target, reason, actor });
    return 0;
  });
}

const kb = (bytes: number | null): string => (bytes === null ? '-' : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

/** One line per deployment target: sizes, load time, latency, throughput, memory, and the gates' verdict. */
function describeTarget(t: TargetRecord): string {
  const c = t.costs;
  const sizes = `model ${kb(c.modelBytes)}${c.bundleBytes !== null ? `, bundle ${kb(c.bundleBytes)}` : ''}`;
  const measured =
    'unmeasured' in c
      ? `not measured: ${c.unmeasured}`
      : `load ${c.loadMs.toFixed(0)} ms, single row p50 ${c.singleRow.p50Ms} ms p99 ${c.singleRow.p99Ms} ms, ${c.throughput.rowsPerSecond} rows/s${c.peakRssBytes ? `, peak RSS ${kb(c.peakRssBytes)}` : ''}`;
  return `${t.target.padEnd(7)} ${t.blessed ? 'blessed' : `NOT blessed (${t.reasons.join('; ')})`}; ${sizes}; ${measured}`;
}
