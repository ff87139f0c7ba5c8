// `mlops features …`: apply a feature-set definition, materialize it, read the online store, build a
// point-in-time training set, score with a deployed model, list the sets. Each action takes parseArgs' (values, positionals).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { applyFeatureSet, buildTrainingSet, FeatureSetError, getOnlineFeatures, listFeatureSets, materialize, requireFeatureSet } from '../core/featurestore';
import { batchScore, type BatchScoreRequest } from '../core/featurestore/batch-score';
import { planBatchScore } from '../core/featurestore/batch-score-partitions';
import { planMaterialization } from '../core/featurestore/materialize-partitions';
import { workflows } from '../workflows/contracts';
import { withClient } from './pipeline-commands';
import { openStores, type Stores } from '../core/store';
import { UsageError } from './usage-error';

/** Opens the stores; an invalid feature-set name, definition or reference is a usage error (exit 2). */
async function withStores<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
  const stores = openStores(loadConfig());
  try {
    return await fn(stores);
  } catch (err) {
    if (err instanceof FeatureSetError) throw new UsageError(err.message);
    throw err;
  } finally {
    await stores.close();
  }
}

function partitionRowsOption(text: unknown): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text)) throw new UsageError(`--partition-rows ${JSON.stringify(text)} is not a positive integer`);
  return Number(text);
}

function versionOption(text: unknown): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^[1-9]\d{0,8}$/.test(text)) throw new UsageError(`--version ${JSON.stringify(text)} is not a positive integer`);
  return Number(text);
}

const isUri = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

export async function featuresApplyCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const usage = 'mlops features apply FILE [--json]';
  if (positionals.length !== 1) throw new UsageError(`expected one FILE; usage: ${usage}`);
  const file = positionals[0]!;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as Error).message}`,
    );
  }
  // A relative source path is relative to the definition file, not to wherever a worker runs later.
  const source = (raw as { source?: { uri?: unknown } } | null)?.source;
  if (source && typeof source.uri === 'string' && source.uri.trim() !== '' && !isUri(source.uri)) {
    raw = { ...(raw as object), source: { ...source, uri: path.resolve(path.dirname(file), source.uri) } };
  }
  return withStores(async (stores) => {
    let result;
    try {
      result = await applyFeatureSet(stores, raw);
    } catch (err) {
      if (err instanceof FeatureSetError) throw new UsageError(`${file}: ${err.message}`);
      throw err;
    }
    const { set, created } = result;
    if (values.json) console.log(JSON.stringify({ ...set, created }, null, 2));
    else
      console.log(
        `${set.name} v${set.version} ${created ? 'registered' : 'unchanged (already the latest version)'}  sha256 ${set.sha256.slice(0, 12)}  ${set.uri}`,
      );
    return 0;
  });
}

export async function featuresMaterializeCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('expected one NAME; usage: mlops features materialize NAME [--version N] [--partition-rows N] [--json]');
  const version = versionOption(values.version);
  const partitionRows = partitionRowsOption(values['partition-rows']);
  return withStores(async (stores) => {
    const set = { name: positionals[0]!, ...(version !== undefined ? { version } : {}) };
    // A partitioned source fans out over the workers (workflow materializeFeatures); a single file runs here.
    const plan = await planMaterialization(stores, set, { partitionRows });
    const r = plan.partitions
      ? await withClient(async (client, config) => {
          if (!values.json) console.error(`  ${plan.partitions!.length} partitions: materializing on the workers (task queue ${config.taskQueue})`);
          const out = await client.workflow.execute(workflows.materializeFeatures, {
            taskQueue: config.taskQueue,
            workflowId: `materialize-${set.name}-${randomBytes(4).toString('hex')}`,
            args: [{ sets: [{ name: plan.name, version: plan.version }], ...(partitionRows !== undefined ? { partitionRows } : {}) }],
          });
          return out.sets[0]!;
        })
      : await materialize(stores, set, { onProgress: values.json ? undefined : (m) => console.error(`  ${m}`) });
    if (values.json) {
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    const skipped = `skipped ${r.skipped.behindWatermark} at or before the watermark, ${r.skipped.missingKey} without entity or time, ${r.skipped.duplicates} duplicates`;
    if (r.rows === 0)
      console.log(`${r.name}@${r.version}: no new rows past ${r.watermark ?? 'the start'}; nothing written (${skipped}) in ${(r.ms / 1000).toFixed(2)} s`);
    else {
      console.log(
        `${r.name}@${r.version}: wrote ${r.rows} rows for ${r.entities} entities (${r.onlineWritten} online rows moved forward) in ${(r.ms / 1000).toFixed(2)} s`,
      );
      console.log(`  watermark ${r.fromWatermark ?? '-'} → ${r.watermark}`);
      console.log(`  part ${r.part!.uri}`);
      console.log(`  ${skipped}`);
    }
    return 0;
  });
}

export async function featuresGetCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length < 2)
    throw new UsageError('expected NAME and at least one ENTITY; usage: mlops features get NAME ENTITY [ENTITY...] [--version N] [--json]');
  const [name, ...entities] = positionals as [string, ...string[]];
  const version = versionOption(values.version);
  return withStores(async (stores) => {
    const set = await requireFeatureSet(stores.pool, name, version);
    const found = await getOnlineFeatures(stores.pool, set, entities);
    if (values.json) {
      const out = entities.map((e) => ({
        entity: e,
        ...(found.has(e) ? { eventTime: found.get(e)!.eventTime.toISOString(), values: found.get(e)!.values } : { eventTime: null, values: null }),
      }));
      console.log(JSON.stringify({ name: set.name, version: set.version, entities: out }, null, 2));
    } else {
      for (const e of entities) {
        const f = found.get(e);
        console.log(f ? `${e}  @ ${f.eventTime.toISOString()}  ${JSON.stringify(f.values)}` : `${e}  (not in the online store of ${set.name}@${set.version})`);
      }
    }
    return 0;
  });
}

/** `NAME[@VERSION][:feature,feature]` */
export function parseSetArgument(text: string): { name: string; version?: number; features?: string[] } {
  const m = /^([^@:]+)(?:@([1-9]\d{0,8}))?(?::(.+))?$/.exec(text);
  if (!m) throw new UsageError(`--set ${JSON.stringify(text)} is not NAME[@VERSION][:FEATURE,FEATURE…]`);
  return { name: m[1]!, ...(m[2] ? { version: Number(m[2]) } : {}), ...(m[3] ? { features: m[3].split(',') } : {}) };
}

export async function featuresTrainingSetCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const usage = 'mlops features training-set --events URI --entity COL --timestamp COL --set NAME[@V][:F,F…] [--set …] [--prefixed] [--json]';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}; usage: ${usage}`);
  const events = values.events as string | undefined;
  const entity = values.entity as string | undefined;
  const timestamp = values.timestamp as string | undefined;
  const sets = ((values.set as string[] | undefined) ?? []).map(parseSetArgument);
  if (!events || !entity || !timestamp || sets.length === 0)
    throw new UsageError(`--events, --entity, --timestamp and at least one --set are required; usage: ${usage}`);
  return withStores(async (stores) => {
    const r = await buildTrainingSet(
      stores,
      { events: isUri(events) ? events : path.resolve(events), entity, timestamp, sets, prefixed: Boolean(values.prefixed) },
      { onProgress: values.json ? undefined : (m) => console.error(`  ${m}`) },
    );
    if (values.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`training set: ${r.rows} rows × ${r.columns.length} columns  ${r.ref.uri}`);
      for (const s of r.sets) console.log(`  ${s.name}@${s.version} (${s.parts} part${s.parts === 1 ? '' : 's'}): ${Object.values(s.columns).join(', ')}`);
    }
    return 0;
  });
}

export async function featuresListCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}; usage: mlops features list [--json]`);
  return withStores(async ({ pool }) => {
    const sets = await listFeatureSets(pool);
    if (values.json) console.log(JSON.stringify(sets, null, 2));
    else if (sets.length === 0) console.log('no feature sets; register one with `mlops features apply FILE`');
    else
      for (const s of sets)
        console.log(
          `${`${s.name}@${s.version}`.padEnd(28)} ${String(s.rows).padStart(10)} rows in ${s.parts} part(s)  watermark ${s.watermark ?? '-'}  sha256 ${s.sha256.slice(0, 12)}`,
        );
    return 0;
  });
}

export async function featuresScoreCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const usage =
    'mlops features score --model NAME [--alias A | --version N] (--set NAME[@V] [--set …] | --table URI [--as-of COLUMN] [--partition-rows N]) [--json]';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}; usage: ${usage}`);
  const model = values.model as string | undefined;
  if (!model) throw new UsageError(`--model is required; usage: ${usage}`);
  const sets = ((values.set as string[] | undefined) ?? []).map(parseSetArgument);
  const withFeatures = sets.find((x) => x.features);
  if (withFeatures) throw new UsageError(`--set ${withFeatures.name}: scoring takes the features the model reads; leave out :FEATURE,…`);
  const table = values.table as string | undefined;
  if (sets.length > 0 === (table !== undefined)) throw new UsageError(`give --set (one or more) or --table, not both; usage: ${usage}`);
  if (values.alias !== undefined && values.version !== undefined) throw new UsageError('give --alias or --version, not both');
  const asOf = values['as-of'] as string | undefined;
  if (asOf !== undefined && table === undefined) throw new UsageError(`--as-of names a time column of the --table; usage: ${usage}`);
  const version = versionOption(values.version);
  const partitionRows = partitionRowsOption(values['partition-rows']);
  return withStores(async (stores) => {
    const request: BatchScoreRequest = {
      model,
      ...(values.alias !== undefined ? { alias: values.alias as string } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(table !== undefined ? { table: isUri(table) ? table : path.resolve(table), ...(asOf !== undefined ? { asOf } : {}) } : { sets }),
    };
    // A partitioned table is scored on the workers, one activity per partition (workflow batchScore); anything else here.
    const plan = request.table !== undefined ? await planBatchScore(stores, { ...request, partitionRows }) : undefined;
    const r = plan?.partitions
      ? await withClient(async (client, config) => {
          if (!values.json) console.error(`  ${plan.partitions!.length} partitions: scoring on the workers (task queue ${config.taskQueue})`);
          const started = Date.now();
          const out = await client.workflow.execute(workflows.batchScore, {
            taskQueue: config.taskQueue,
            workflowId: `batch-score-${model}-${randomBytes(4).toString('hex')}`,
            args: [{ ...request, version: plan.version, ...(partitionRows !== undefined ? { partitionRows } : {}) }],
          });
          return { ...out, alias: plan.alias, ms: Date.now() - started };
        })
      : await batchScore(stores, request, { onProgress: values.json ? undefined : (m) => console.error(`  ${m}`) });
    if (values.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`${r.model} v${r.version}${r.alias ? ` (${r.alias})` : ''}: scored ${r.rows} rows in ${(r.ms / 1000).toFixed(2)} s  ${r.ref.uri}`);
      for (const x of r.sets)
        console.log(
          `  ${x.name}@${x.version}: ${r.asOf ? `offline values as of each row's ${r.asOf}` : 'latest offline values'} (${x.parts} part${x.parts === 1 ? '' : 's'})`,
        );
      if (r.missingFields.length > 0) console.log(`  scored as missing (no input has them): ${r.missingFields.join(', ')}`);
    }
    return 0;
  });
}
