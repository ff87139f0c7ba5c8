// The pipeline run shared by level 0 and level 1: the stages in order, a status view for the `status`
// query, and the run result of the design contract. Orchestration only: no I/O, no math.
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { parseSpec, SpecError, type PipelineSpec } from '../core/spec';
import { raiseAlert } from './alerts';
import {
  FailureType,
  STAGES,
  type PipelineInput,
  type RunInfo,
  type RunResult,
  type RunStatus,
  type Stage,
  type StageState,
  type StatusView,
  type Trigger,
} from './contracts';
import { trainExternally } from './external-train';
import { materializeRunSets } from './materialize';
import { ingestStage } from './partitioned-ingest';
import { activitiesFor } from './stages';
import { runPriority } from '../core/priority';

/** The stage activities of one run, dispatched with the run's priority and its model's fairness key. */
function runActivities(trigger: Trigger, model: string) {
  return activitiesFor.withPriority(
    runPriority(trigger, model),
    'materializeFeatureSets',
    'ingestTrainingSet',
    'productionInfo',
    'sameAsProduction',
    'validateData',
    'governData',
    'buildFeatures',
    'selectFeatures',
    'trainModel',
    'evaluateModel',
    'startAbTest',
    'deployModel',
    'ensureMonitor',
    'deployToTargets',
  );
}

/** The failure type and innermost message of an error's cause chain (not the wrapper's "Activity task failed"). */
export function rootFailure(err: unknown): { type: string; message: string } {
  let type = 'Error';
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 10; depth++) {
    const t = (e as { type?: unknown }).type;
    if (typeof t === 'string' && t !== '') type = t;
    const next = (e as { cause?: unknown }).cause;
    if (!next) break;
    e = next;
  }
  return { type, message: e instanceof Error ? e.message : String(e) };
}

export function specOf(input: PipelineInput): PipelineSpec {
  try {
    return parseSpec(input);
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.create({ type: FailureType.InvalidSpec, message: err.message, nonRetryable: true });
    throw err;
  }
}

/**
 * The spec a run trains with, and how it acts on drift (monitor.onDrift, drift-triggered runs only):
 * "drop-drifted" leaves the drifted features out; "reweight" weighs the training rows towards the traffic of
 * the monitor's window. The choice is recorded in the run's reasons.
 */
export function specForRun(spec: PipelineSpec, run: RunInfo): { spec: PipelineSpec; note: string | null; reweight?: { windowSeconds: number } } {
  const drifted = run.driftedColumns ?? [];
  if (run.trigger !== 'drift' || spec.monitor.onDrift === 'retrain') return { spec, note: null };
  if (spec.monitor.onDrift === 'reweight') {
    return {
      spec,
      note: `monitor.onDrift reweight: training rows weighted towards the last ${spec.monitor.window} s of traffic`,
      reweight: { windowSeconds: spec.monitor.window },
    };
  }
  if (drifted.length === 0) return { spec, note: null };
  const exclude = [...new Set([...(spec.features.exclude ?? []), ...drifted])];
  return { spec: { ...spec, features: { ...spec.features, exclude } }, note: `monitor.onDrift drop-drifted: trained without ${drifted.join(', ')}` };
}

/** Hooks that make the difference between levels: level 0 waits for a person before each stage. */
export interface RunHooks {
  /** Resolves true to run the stage, false to stop the run (rejected by a person or timed out). */
  beforeStage: (stage: Stage) => Promise<{ go: true } | { go: false; reason: string }>;
}

/** The spec with the feature-set versions (and features) a run joined: what the model version records, and serving looks up. */
export function pinFeatureSets(spec: PipelineSpec, joined: { name: string; version: number; columns: Record<string, string> }[]): PipelineSpec {
  return { ...spec, features: { ...spec.features, sets: joined.map((j) => ({ name: j.name, version: j.version, features: Object.keys(j.columns) })) } };
}

export async function runPipeline(requested: PipelineSpec, run: RunInfo, status: StatusView, hooks: RunHooks): Promise<RunResult> {
  const planned = specForRun(requested, run);
  const { note, reweight } = planned;
  let spec = planned.spec;
  const info = workflowInfo();
  const model = spec.name;
  const trigger = run.trigger ?? 'manual';
  const {
    materializeFeatureSets,
    ingestTrainingSet,
    productionInfo,
    sameAsProduction,
    validateData,
    governData,
    buildFeatures,
    selectFeatures,
    trainModel,
    evaluateModel,
    startAbTest,
    deployModel,
    ensureMonitor,
    deployToTargets,
  } = runActivities(trigger, model);
  const result: RunResult = {
    workflowId: info.workflowId,
    runId: info.runId,
    status: 'rejected',
    trigger,
    spec,
    dataset: null,
    validation: null,
    features: null,
    model: null,
    blessed: false,
    reasons: [],
    deployed: null,
    timingsMs: {},
  };
  if (note) result.reasons.push(note);
  const started = Date.now();
  const stage = async <T>(name: Stage, work: () => Promise<T>): Promise<T | undefined> => {
    const gate = await hooks.beforeStage(name);
    if (!gate.go) {
      result.reasons.push(gate.reason);
      return undefined;
    }
    status.stage = name;
    status.stages[name] = { state: 'running' };
    const t0 = Date.now();
    let out: T;
    try {
      out = await work();
    } catch (err) {
      // The status query then tells a person what broke, whatever shows the run (CLI, UI, demo).
      status.stages[name] = { state: 'failed', ms: Date.now() - t0, error: rootFailure(err) };
      status.stage = 'done';
      for (const [k, v] of Object.entries(status.stages)) if (v.state === 'pending') status.stages[k] = { state: 'skipped' };
      throw err;
    }
    const ms = Date.now() - t0;
    status.stages[name] = { state: 'done', ms };
    result.timingsMs[name] = ms;
    return out;
  };
  const finish = (s: RunStatus): RunResult => {
    result.status = s;
    result.timingsMs.total = Date.now() - started;
    status.stage = 'done';
    for (const [k, v] of Object.entries(status.stages)) if (v.state === 'pending') status.stages[k] = { state: 'skipped' };
    return result;
  };

  const sets = spec.features.sets;
  const dataset = await stage('ingest', async () => {
    if (!sets) {
      return ingestStage({
        priority: runPriority(trigger, model),
        uri: spec.data.uri,
        model,
        format: spec.data.format,
        delimiter: spec.data.delimiter,
        partitionRows: spec.data.partitionRows,
        ...(spec.data.feedback !== false
          ? { feedback: { target: spec.target, protected: spec.governance.protected ?? [], maxShare: spec.data.maxFeedbackShare } }
          : {}),
      });
    }
    // features.sets: bring each set up to date (incremental), then join the events in data.uri with the
    // feature values as of each event's time; the run trains on that table, with the versions pinned.
    // A set with a partitioned source fans out one activity per partition (patched: older runs replay their one activity).
    const wanted = sets.map((x) => ({ name: x.name, ...(x.version !== undefined ? { version: x.version } : {}) }));
    const fresh = patched('run-partitioned-sets')
      ? await materializeRunSets(wanted, { model, priority: runPriority(trigger, model), partitionRows: spec.data.partitionRows })
      : await materializeFeatureSets({ model, sets: wanted });
    const joined = await ingestTrainingSet({
      model,
      events: { uri: spec.data.uri, format: spec.data.format, delimiter: spec.data.delimiter },
      entity: spec.features.entity!,
      time: spec.time!,
      sets: sets.map((x, i) => ({ ...x, version: fresh[i]!.version })),
      prefixed: spec.features.prefixed,
      ...(spec.data.feedback !== false
        ? { feedback: { target: spec.target, protected: spec.governance.protected ?? [], maxShare: spec.data.maxFeedbackShare } }
        : {}),
    });
    spec = pinFeatureSets(spec, joined.sets);
    result.spec = spec;
    status.artifacts.trainingSet = joined.trainingSet.uri;
    return joined.dataset;
  });
  if (!dataset) return finish('rejected');
  result.dataset = {
    uri: dataset.uri,
    sha256: dataset.sha256,
    sourceSha256: dataset.sourceSha256,
    rows: dataset.rows,
    columns: dataset.columns,
    ...(dataset.feedbackRows ? { feedbackRows: dataset.feedbackRows } : {}),
  };
  status.artifacts.dataset = dataset.uri;

  // Same data, spec and code as the model in production: nothing to learn.
  const production = await productionInfo({ model, alias: spec.deploy.alias });
  const skip = await sameAsProduction({ spec, datasetSha256: dataset.sha256, production });
  if (skip) {
    result.reasons.push(`production ${model} v${production.version} was trained on the same data (${dataset.sha256.slice(0, 12)}), spec and code`);
    result.deployed = null;
    return finish('skipped');
  }

  const validation = await stage('validate', () => validateData({ model, dataset, rules: { target: spec.target, keys: spec.data.keys, ...spec.validation } }));
  if (!validation) return finish('rejected');
  result.validation = { passed: validation.passed, anomalies: validation.anomalies };
  status.artifacts.statistics = validation.statistics.uri;
  status.artifacts.schema = validation.schema.uri;

  const common = { model, dataset, target: spec.target, keys: spec.data.keys, time: spec.time, features: spec.features, governance: spec.governance };
  const governance = await stage('govern', () => governData(common));
  if (!governance) return finish('rejected');
  status.artifacts.governance = governance.reportUri;
  if (governance.warnings.length) result.reasons.push(...governance.warnings.map((w) => `governance warning: ${w}`));

  const features = await stage('features', () => buildFeatures(common));
  if (!features) return finish('rejected');
  status.artifacts.featurePlan = features.planRef.uri;

  const selection = await stage('select', () => selectFeatures({ model, dataset, plan: features.plan, planRef: features.planRef, selection: spec.selection }));
  if (!selection) return finish('rejected');
  result.features = { selected: selection.selected, dropped: selection.dropped };
  status.artifacts.selection = selection.selectionUri;

  const trainInput = { model, dataset, plan: features.plan, planRef: features.planRef, selected: selection.selected, spec };
  const external = spec.training.external;
  const trained = await stage('train', () =>
    external ? trainExternally(trainInput, external) : trainModel({ ...trainInput, ...(reweight ? { reweight } : {}) }),
  );
  if (!trained) return finish('rejected');
  result.model = {
    name: trained.name,
    version: trained.version,
    uri: trained.uri,
    sha256: trained.sha256,
    algorithm: trained.algorithm,
    params: trained.params,
    metrics: trained.metrics,
    slices: trained.slices,
    importance: trained.importance,
    permutationImportance: trained.permutationImportance,
    ...(trained.refit ? { refit: trained.refit } : {}),
    ...(trained.sample ? { sample: trained.sample } : {}),
  };
  if (trained.timingsMs) result.timingsMs.trainDetail = trained.timingsMs;
  status.artifacts.model = trained.uri;

  const evaluation = await stage('evaluate', () => evaluateModel({ model, dataset, candidate: trained, spec }));
  if (!evaluation) return finish('rejected');
  result.blessed = evaluation.blessed;
  result.reasons.push(...evaluation.reasons);
  if (!evaluation.blessed) return finish('rejected');

  // Canary, A/B or shadow: the challenger goes next to the champion and abTest (ab-<model>) decides.
  const champion = evaluation.champion?.version ?? production.version;
  const strategy = spec.deploy.strategy;
  if (strategy !== 'replace' && spec.deploy.alias === 'production') {
    if (champion === null)
      result.reasons.push(
        `deploy.strategy ${strategy}: no production version to test against, so v${trained.version} replaces nothing and is deployed directly`,
      );
    else if (trained.task === 'regression') {
      result.reasons.push(
        `deploy.strategy ${strategy} tests correct predictions, which a regression model does not make: v${trained.version} is blessed, not deployed`,
      );
      return finish('blessed');
    } else {
      const ab = await stage('deploy', () =>
        startAbTest({
          model,
          champion,
          challenger: trained.version,
          strategy,
          share: spec.deploy.share,
          test: spec.deploy.test,
          requestedBy: `${info.workflowType}:${info.workflowId}`,
        }),
      );
      if (!ab) return finish('blessed');
      if (!ab.started) {
        result.reasons.push(`a rollout is already running for ${model} (${ab.workflowId}): v${trained.version} is blessed, not deployed`);
        return finish('blessed');
      }
      result.deployed = { alias: 'challenger', version: trained.version, strategy, abTest: ab.workflowId };
      result.reasons.push(
        `${strategy} of v${trained.version} against v${champion}${strategy === 'shadow' ? ' (mirrored traffic)' : ` on ${spec.deploy.share * 100}% of traffic`}: ${ab.workflowId} promotes or rolls back`,
      );
      return finish('deployed');
    }
  }

  const deployed = await stage('deploy', () =>
    deployModel({
      model,
      version: trained.version,
      alias: spec.deploy.alias,
      expectedFrom: evaluation.champion?.version ?? production.version,
      actor: `${info.workflowType}:${info.workflowId}`,
      reason: `${trigger}${run.reason ? `: ${run.reason}` : ''}`,
      details: { metrics: trained.metrics, champion: evaluation.champion, runId: info.runId },
    }),
  );
  if (!deployed) return finish('blessed');
  result.deployed = { alias: deployed.alias, version: deployed.version };
  // Edge and browser bundles with their costs; a spec with the server alone issues no new command (histories replay).
  if (spec.deploy.targets.some((t) => t !== 'server')) {
    result.targets = await deployToTargets({
      model,
      version: deployed.version,
      targets: spec.deploy.targets,
      gates: { maxBundleBytes: spec.gates.maxBundleBytes, maxEdgeP99Ms: spec.gates.maxEdgeP99Ms },
      actor: `${info.workflowType}:${info.workflowId}`,
      reason: `${trigger}${run.reason ? `: ${run.reason}` : ''}`,
    });
    for (const t of result.targets) if (!t.blessed) result.reasons.push(`not blessed for ${t.target}: ${t.reasons.join('; ')}`);
  }
  // Every deploy starts or refreshes the model's drift monitor (patched: runs recorded before it replay as they ran).
  if (patched('start-drift-monitor') && spec.monitor.enabled && spec.deploy.alias === 'production') {
    await ensureMonitor({ model, ...spec.monitor });
  }
  await raiseAlert({
    event: 'model.deployed',
    model,
    version: deployed.version,
    webhooks: spec.alerts?.webhooks ?? [],
    message: `${model} v${deployed.version} is now ${deployed.alias} (was ${champion === null ? 'none' : `v${champion}`}; ${trigger}${run.reason ? `: ${run.reason}` : ''})`,
    numbers: {
      alias: deployed.alias,
      previous: champion,
      trigger,
      algorithm: trained.algorithm,
      metrics: trained.metrics,
      champion: evaluation.champion ?? null,
    },
  });
  return finish('deployed');
}

export function initialStatus(model: string, level: 0 | 1, trigger: Trigger): StatusView {
  const stages: Record<string, StageState> = {};
  for (const s of STAGES) stages[s] = { state: 'pending' };
  return { model, level, trigger, stage: null, waitingFor: null, stages, artifacts: {}, pendingRequests: 0 };
}
