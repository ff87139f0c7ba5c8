// A local stack of its own for fault tests: the product's own `up()`/`down()` (infra/stack.ts) with every
// address pointed elsewhere (free ports, a temporary MLOPS_HOME), so a test can stop, kill and restart
// its services while a pipeline runs without disturbing the shared stack other test files use.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import { loadConfig, type Config } from '../../core/config';
import { openStores, type Stores } from '../../core/store';
import { findPostgresBin } from '../../infra/install';
import { alive, down, up } from '../../infra/stack';
import { waitFor } from './wait';
import { ctWorkflowId, retrainSignal, workflows, type RunResult, STAGES, statusQuery, type StatusView } from '../../workflows/contracts';

export type Service = 'temporal' | 'minio' | 'postgres' | 'worker' | 'serving';

export interface FaultStack {
  home: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** Stores on the stack's own schema and bucket (what its worker and model server use). */
  stores: Stores;
  client: Client;
  serveUrl: string;
  /** The pid of a running service (recorded under $MLOPS_HOME/run, or Postgres's postmaster.pid). */
  pid: (service: Service) => number | undefined;
  /** Sends `signal` to a service and waits until its process is gone. */
  stop: (service: Service, signal?: NodeJS.Signals) => Promise<void>;
  /** The product's `up()` again: starts whatever is not running. */
  restore: () => Promise<void>;
  teardown: () => Promise<void>;
}

/** A port nothing listens on now; the caller keeps it unless it collides with one already taken. */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Distinct free loopback ports, one per entry of `offsets`, such that each `port + offset` is free too and
 * nothing overlaps (the Temporal UI takes its port + 1000, the MinIO console its port + 1).
 */
async function freePorts(offsets: number[][]): Promise<number[]> {
  const taken = new Set<number>();
  const out: number[] = [];
  for (const extra of offsets) {
    for (let i = 0; ; i++) {
      if (i === 50) throw new Error('no free port found');
      const port = await ephemeralPort();
      const all = [port, ...extra.map((o) => port + o)];
      if (all.some((p) => p > 65_535 || taken.has(p))) continue;
      if (!(await Promise.all(extra.map((o) => portFree(port + o)))).every(Boolean)) continue;
      for (const p of all) taken.add(p);
      out.push(port);
      break;
    }
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFaultStack(): Promise<FaultStack> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mlops-faults-'));
  const [temporal, minio, pgPort, serve, grpcPort, consolePort] = await freePorts([[1000], [1], [], [], [], []]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLOPS_HOME: home,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    MLOPS_S3_ENDPOINT: `http://127.0.0.1:${minio}`,
    MLOPS_PG_PORT: String(pgPort),
    MLOPS_SERVE_ADDRESS: `127.0.0.1:${serve}`,
    MLOPS_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
    MLOPS_CONSOLE_ADDRESS: `127.0.0.1:${consolePort}`,
    // Everything else from the stack's own local.env (or defaults), never from the shared stack's settings.
    MLOPS_S3_ACCESS_KEY: '',
    MLOPS_S3_SECRET_KEY: '',
    MLOPS_DATABASE_URL: '',
    MLOPS_DB_SCHEMA: '',
    MLOPS_S3_PREFIX: '',
    MLOPS_S3_BUCKET: '',
    MLOPS_TASK_QUEUE: '',
    TEMPORAL_NAMESPACE: '',
  };
  const log = (): void => undefined;

  const postgresData = (): string => {
    const link = path.join(home, 'postgres');
    return path.join(existsSync(link) && lstatSync(link).isSymbolicLink() ? readlinkSync(link) : link, 'data');
  };
  let closeClients = async (): Promise<void> => undefined;
  const teardown = async (): Promise<void> => {
    const link = path.join(home, 'postgres');
    const elsewhere = existsSync(link) && lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
    await closeClients();
    await down({ env }).catch(() => undefined);
    // A Postgres that `down` could not stop cleanly must not outlive the test.
    const bin = findPostgresBin();
    if (bin && existsSync(path.join(postgresData(), 'postmaster.pid'))) {
      const pgCtl = [path.join(bin, 'pg_ctl'), '-D', postgresData(), '-m', 'immediate', '-w', 'stop'];
      if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', ...pgCtl]);
      else spawnSync(pgCtl[0]!, pgCtl.slice(1));
    }
    rmSync(home, { recursive: true, force: true });
    if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
  };
  try {
    await up({ env, log });
  } catch (err) {
    await teardown();
    throw err;
  }
  const config = loadConfig(env);
  const stores = openStores(config);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  closeClients = async () => {
    await connection.close().catch(() => undefined);
    await stores.close().catch(() => undefined);
  };

  const pid = (service: Service): number | undefined => {
    const file = service === 'postgres' ? path.join(postgresData(), 'postmaster.pid') : path.join(home, 'run', `${service}.pid`);
    if (!existsSync(file)) return undefined;
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]!.trim());
    return Number.isInteger(n) && n > 0 && alive(n) ? n : undefined;
  };
  const stop = async (service: Service, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const p = pid(service);
    if (p === undefined) throw new Error(`${service} is not running`);
    process.kill(p, signal);
    await waitFor(`${service} (pid ${p}) to exit`, async () => (alive(p) ? undefined : true), 30_000, 50);
  };
  const restore = async (): Promise<void> => {
    await up({ env, log });
  };
  return { home, env, config, stores, client, serveUrl: `http://${config.serveAddress}`, pid, stop, restore, teardown };
}

// ---------------------------------------------------------------- pipelines

/** seattle-weather (1,461 rows, 2012–2015): small data for two versions of one model. */
export const WEATHER = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
export const WEATHER_SPEC = { target: 'weather', features: { derive: [{ name: 'month', op: 'month', input: 'date' }] } };
export const WEATHER_INSTANCE = { date: '2015-06-01', precipitation: 0, temp_max: 25, temp_min: 12, wind: 2 };

/** The rows of seattle-weather before 2015, as a CSV in `dir` (a first version trains on it). */
export function weatherBefore2015(dir: string): string {
  const file = path.join(dir, 'weather-2012-2014.csv');
  const lines = readFileSync(WEATHER, 'utf8').trim().split('\n');
  writeFileSync(file, `${lines.filter((l, i) => i === 0 || l < '2015').join('\n')}\n`);
  return file;
}

/** Starts (signal-with-start) the model's CT run on the stack's own task queue, as `mlops run ct` does. */
export async function startCt(stack: FaultStack, spec: Record<string, unknown> & { name: string }): Promise<WorkflowHandle> {
  const run = { trigger: 'manual' as const, requestId: randomUUID() };
  const handle = await stack.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(spec.name),
    taskQueue: stack.config.taskQueue,
    args: [{ ...spec, run }],
    signal: retrainSignal,
    signalArgs: [run],
  });
  return stack.client.workflow.getHandle(handle.workflowId, handle.signaledRunId);
}

/** Waits until the run has reached `stage` (or a later one). */
export async function reachStage(handle: WorkflowHandle, stage: (typeof STAGES)[number], timeoutMs = 120_000): Promise<StatusView> {
  const want = STAGES.indexOf(stage);
  return waitFor(
    `the run to reach ${stage}`,
    async () => {
      const s = await handle.query(statusQuery);
      const at = s.stage === 'done' ? STAGES.length : s.stage === null ? -1 : STAGES.indexOf(s.stage);
      return at >= want ? s : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Waits until the worker is running the named activity of the run (the server has recorded its start). */
export async function activityRunning(handle: WorkflowHandle, activity: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `${activity} to be running`,
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === activity && a.lastStartedTime) || undefined;
    },
    timeoutMs,
    50,
  );
}

/** The run's result; survives the dev server being away for a while (the client call is retried). */
export async function resultOf(handle: WorkflowHandle, timeoutMs = 240_000): Promise<RunResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await handle.result()) as RunResult;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'WorkflowFailedError' || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

export interface ActivitySpan {
  name: string;
  /** Server times (ms since the epoch) of the activity's events. */
  scheduledAt: number;
  startedAt?: number;
  closedAt?: number;
  /** The attempt that closed it: > 1 means it was retried. */
  attempt: number;
}

/** The run's activities as its history records them. */
export async function activitySpans(handle: WorkflowHandle): Promise<ActivitySpan[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const spans = new Map<string, ActivitySpan>();
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes)
      spans.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduledAt: ms(e.eventTime), attempt: 1 });
    const started = e.activityTaskStartedEventAttributes;
    if (started) Object.assign(spans.get(String(started.scheduledEventId))!, { startedAt: ms(e.eventTime), attempt: started.attempt ?? 1 });
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (closed) spans.get(String(closed.scheduledEventId))!.closedAt = ms(e.eventTime);
  }
  return [...spans.values()];
}

// ---------------------------------------------------------------- serving

/**
 * Runs `action` the moment `model`'s production alias moves to `version` (Postgres NOTIFY, as the model
 * server hears it). Returns once listening; `moved` resolves with the time the action ran.
 */
export async function onAliasMove(stack: FaultStack, model: string, version: number, action: () => void): Promise<{ moved: Promise<number> }> {
  const listener = new pg.Client({ connectionString: stack.config.databaseUrl });
  listener.on('error', () => undefined);
  await listener.connect();
  const done = new Promise<number>((resolve) => {
    listener.on('notification', (msg) => {
      const n = JSON.parse(msg.payload ?? '{}') as { schema?: string; model?: string; alias?: string; to?: number };
      if (n.schema !== stack.stores.schema || n.model !== model || n.alias !== 'production' || n.to !== version) return;
      const at = Date.now();
      action();
      resolve(at);
      void listener.end().catch(() => undefined);
    });
  });
  await listener.query('LISTEN mlops_alias');
  // Wrapped: an async function returning the promise itself would wait for the move before returning.
  return { moved: done };
}

/**
 * Runs `action` the moment a stage of some run records its lineage as complete (the last thing a stage
 * activity does, so the stage is done with every service), through a trigger on the stack's own
 * executions table. Returns once listening; `done` resolves with the time the action ran.
 */
export async function onStageComplete(stack: FaultStack, stage: string, action: () => void): Promise<{ done: Promise<number> }> {
  const listener = new pg.Client({ connectionString: stack.config.databaseUrl });
  listener.on('error', () => undefined);
  await listener.connect();
  await listener.query(`SET search_path = ${stack.stores.schema}`);
  await listener.query(`CREATE OR REPLACE FUNCTION fault_stage_done() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'complete' THEN PERFORM pg_notify('fault_stage_done', NEW.stage); END IF;
      RETURN NEW;
    END $$`);
  await listener.query('CREATE OR REPLACE TRIGGER fault_stage_done AFTER INSERT OR UPDATE ON executions FOR EACH ROW EXECUTE FUNCTION fault_stage_done()');
  const done = new Promise<number>((resolve) => {
    listener.on('notification', (msg) => {
      if (msg.channel !== 'fault_stage_done' || msg.payload !== stage) return;
      const at = Date.now();
      action();
      resolve(at);
      void listener
        .query('DROP TRIGGER fault_stage_done ON executions')
        .finally(() => listener.end())
        .catch(() => undefined);
    });
  });
  await listener.query('LISTEN fault_stage_done');
  return { done };
}

export interface Answer {
  /** When the request was sent. */
  at: number;
  status?: number;
  version?: string;
  /** A request that got no HTTP answer (refused, reset). */
  error?: string;
}

/** Two clients sending predict requests in a loop until stopped; every outcome is recorded. */
export function startTraffic(stack: FaultStack, model: string, instance: Record<string, unknown>): { stop: () => Promise<Answer[]> } {
  const answers: Answer[] = [];
  let running = true;
  const body = JSON.stringify({ instances: [instance] });
  const client = async (): Promise<void> => {
    while (running) {
      const at = Date.now();
      try {
        const res = await fetch(`${stack.serveUrl}/v1/models/${model}:predict`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(5_000),
        });
        const json = (await res.json()) as { model_version?: string };
        answers.push({ at, status: res.status, version: json.model_version });
      } catch (err) {
        answers.push({ at, error: String((err as Error).cause ?? err) });
        await sleep(20);
      }
    }
  };
  const clients = [client(), client()];
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return answers;
    },
  };
}

/** The version the model server reports for `model` (undefined when it does not serve it or is down). */
export async function servedVersion(stack: FaultStack, model: string): Promise<number | undefined> {
  const res = await fetch(`${stack.serveUrl}/v1/models/${model}`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  return res?.ok ? ((await res.json()) as { version?: number }).version : undefined;
}

// ---------------------------------------------------------------- what no fault may break

export interface IntactReport {
  executions: number;
  artifacts: number;
  objects: number;
}

/**
 * What a completed, deployed run leaves behind, whatever happened during it: one execution per stage (all
 * complete), exactly one model version for the run (the model has `versions` in all), the alias moved once
 * to it, every artifact its lineage references (and its training reference) present in the object store
 * with that sha256, and no object stored twice or orphaned.
 */
export async function expectRunIntact(stack: FaultStack, r: RunResult, opts: { versions: number[] }): Promise<IntactReport> {
  const { pool, registry, artifacts } = stack.stores;
  const fail = (msg: string): never => {
    throw new Error(`${r.workflowId}/${r.runId}: ${msg}`);
  };
  if (r.status !== 'deployed' || !r.model || !r.deployed) fail(`expected a deployed run, got ${r.status}: ${r.reasons.join('; ')}`);
  const model = r.model!;
  const run = `${r.workflowId}/${r.runId}`;

  // One execution per stage, keyed by the run: a retried stage found its own row.
  const execs = await pool.query<{ stage: string; status: string; key: string }>(
    `SELECT x.stage, x.status, x.key FROM executions x JOIN associations a ON a.execution_id = x.id
       JOIN contexts c ON c.id = a.context_id WHERE c.type = 'pipeline_run' AND c.name = $1 ORDER BY x.id`,
    [run],
  );
  const stages = execs.rows.map((x) => x.stage);
  if (JSON.stringify(stages) !== JSON.stringify([...STAGES])) fail(`executions ${JSON.stringify(stages)}, expected one per stage ${JSON.stringify(STAGES)}`);
  const notComplete = execs.rows.filter((x) => x.status !== 'complete' || x.key !== `${run}/${x.stage}`);
  if (notComplete.length) fail(`executions not complete: ${JSON.stringify(notComplete)}`);
  const contexts = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM contexts WHERE type = 'pipeline_run' AND name = $1`, [run]);
  if (contexts.rows[0]!.n !== 1) fail(`${contexts.rows[0]!.n} pipeline_run contexts`);

  // Exactly the expected versions; this run's is the one registered under its run key.
  const versions = await registry.listVersions(model.name);
  if (JSON.stringify(versions.map((v) => v.version)) !== JSON.stringify(opts.versions))
    fail(`model versions ${JSON.stringify(versions.map((v) => v.version))}, expected ${JSON.stringify(opts.versions)}`);
  const mine = versions.find((v) => v.version === model.version);
  if (!mine || mine.uri !== model.uri || mine.sha256 !== model.sha256) fail(`model version ${model.version} does not match the run's model ${model.uri}`);
  const moves = (await registry.aliasHistory(model.name, r.deployed!.alias)).filter((m) => m.toVersion === model.version);
  if (moves.length !== 1) fail(`${moves.length} alias moves to v${model.version}, expected 1`);

  // Every artifact the run's lineage references: present, with the recorded sha256 (verified by reading it).
  const arts = await pool.query<{ uri: string; sha256: string }>(
    `SELECT a.uri, a.sha256 FROM events e JOIN artifacts a ON a.id = e.artifact_id
       JOIN associations s ON s.execution_id = e.execution_id JOIN contexts c ON c.id = s.context_id
      WHERE c.type = 'pipeline_run' AND c.name = $1 GROUP BY a.uri, a.sha256`,
    [run],
  );
  const prefix = `s3://${stack.config.s3.bucket}/`;
  for (const a of arts.rows) {
    if (!a.uri.startsWith(prefix)) continue;
    await artifacts.getBuffer(artifacts.keyOf(a.uri), a.sha256).catch((err: Error) => fail(`lineage artifact ${a.uri}: ${err.message}`));
  }
  if (!arts.rows.some((a) => a.uri === model.uri)) fail(`the model ${model.uri} is not in the run's lineage`);
  // The training reference the drift monitor reads is stored with the version, outside lineage.
  const { referenceUri, referenceSha256 } = mine!.properties as { referenceUri?: string; referenceSha256?: string };
  if (!referenceUri || !referenceSha256) fail(`model version ${model.version} has no training reference`);
  await artifacts.getBuffer(artifacts.keyOf(referenceUri!), referenceSha256).catch((err: Error) => fail(`training reference ${referenceUri}: ${err.message}`));

  // Nothing stored twice or left behind: no two of the run's artifacts hold the same bytes, the
  // model has objects under its own versions only, and every object but training checkpoints is one some
  // row still needs (what `mlops gc` keeps) — a retried stage that re-uploaded under a new key would show here.
  const seen = new Map<string, string>();
  for (const a of arts.rows) {
    const other = seen.get(a.sha256);
    if (other) fail(`the same bytes stored twice: ${other} and ${a.uri}`);
    seen.set(a.sha256, a.uri);
  }
  const objects = await artifacts.list();
  const stray = objects.filter((o) => o.key.startsWith(`models/${model.name}/`) && !opts.versions.some((v) => o.key.startsWith(`models/${model.name}/${v}/`)));
  if (stray.length) fail(`objects outside the model's versions: ${stray.map((o) => o.key).join(', ')}`);
  const referenced = await stack.stores.lineage.referencedUris();
  const orphans = objects.filter((o) => !o.key.startsWith('checkpoints/') && !referenced.has(artifacts.uri(o.key)));
  if (orphans.length) fail(`objects no row references: ${orphans.map((o) => o.key).join(', ')}`);
  return { executions: execs.rows.length, artifacts: arts.rows.length, objects: objects.length };
}
