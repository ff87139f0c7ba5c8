// The `mlops` command table: every command's name, usage, summary, options and action. The dispatcher is
// starters/mlops.ts.
import type { ParseArgsConfig } from 'node:util';
import { loadConfig } from '../core/config';
import { down, status, up, type StackStatus } from '../infra/stack';
import {
  gcCommand,
  lineageCommand,
  modelsListCommand,
  modelsPromoteCommand,
  modelsRollbackCommand,
  modelsShowCommand,
  runsCompareCommand,
  runsListCommand,
  schemaAcceptCommand,
  schemaShowCommand,
} from './store-commands';
import { pipelineRollbackCommand, pipelineVersionsCommand, runCicdCommand } from './cicd-commands';
import {
  featuresApplyCommand,
  featuresGetCommand,
  featuresListCommand,
  featuresMaterializeCommand,
  featuresScoreCommand,
  featuresTrainingSetCommand,
} from './feature-commands';
import { startServing } from '../serving/main';
import { startConsole } from '../console/main';
import { alertsLogCommand, alertsTestCommand, tokensCreateCommand, tokensListCommand, tokensRevokeCommand } from './alert-commands';
import { demoCommand } from './demo';
import { driftCommand } from './drift-command';
import { advanceCommand, runCommand, scheduleCommand } from './pipeline-commands';
import { specValidateCommand } from './spec-command';
import { workerCommand } from './worker-command';
import { synthCommand } from './synth-command';
import { trainerPythonCommand } from './trainer-command';
import { UsageError } from './usage-error';
import { LABELS_EXPORT_USAGE, LABELS_IMPORT_USAGE, labelsExportCommand, labelsImportCommand } from './label-commands';
import { EXPORT_USAGE, exportCommand } from './export-command';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** e.g. "run manual" */
  name: string;
  usage: string;
  summary: string;
  options?: Options;
  action: (args: { values: Record<string, unknown>; positionals: string[] }) => Promise<number | void>;
}

const json = { json: { type: 'boolean' } } as const;

export const COMMANDS: Command[] = [
  {
    name: 'up',
    usage: 'mlops up',
    summary: 'install what is missing and start the local stack (Temporal, MinIO, Postgres, a worker, the model server) on loopback',
    action: async () => {
      const started = Date.now();
      const status = await up({ log: (line) => console.error(line) });
      printStatus(status);
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return allManagedOk(status) ? 0 : 1;
    },
  },
  {
    name: 'down',
    usage: 'mlops down',
    summary: 'stop the local stack; data under $MLOPS_HOME is kept',
    action: async () => {
      await down();
      console.log('stack stopped (data kept)');
    },
  },
  {
    name: 'status',
    usage: 'mlops status [--json]',
    summary: 'health of temporal, minio, postgres, worker and serving (never prints a secret)',
    options: json,
    action: async ({ values }) => {
      const s = await status(loadConfig());
      if (values.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return allManagedOk(s) ? 0 : 1;
    },
  },
  {
    name: 'worker',
    usage: 'mlops worker [--concurrency N] [--task-queue Q] [--build-id SHA]',
    summary: 'run a worker in the foreground (SIGTERM or Ctrl-C drains it); it joins the current pipeline version; --build-id runs it as that version',
    options: { concurrency: { type: 'string' }, 'task-queue': { type: 'string' }, 'build-id': { type: 'string' } },
    action: ({ values }) => workerCommand(values),
  },
  {
    name: 'trainer python',
    usage: 'mlops trainer python [--task-queue Q]',
    summary: 'run the reference scikit-learn trainer (training.external) in the foreground; its venv is built under $MLOPS_HOME once',
    options: { 'task-queue': { type: 'string' } },
    action: ({ values }) => trainerPythonCommand(values),
  },
  {
    name: 'serve',
    usage: 'mlops serve [--address HOST:PORT] [--grpc-address HOST:PORT] [--alias A]',
    summary: 'run the model server in the foreground (KServe V1 and V2 REST, V2 gRPC; every model with the alias; hot reload)',
    options: { address: { type: 'string' }, 'grpc-address': { type: 'string' }, alias: { type: 'string' } },
    action: async ({ values }) => {
      const config = loadConfig();
      const grpcAddress = (values['grpc-address'] as string | undefined) ?? config.grpcAddress;
      const running = await startServing(config, {
        address: values.address as string | undefined,
        grpcAddress,
        alias: values.alias as string | undefined,
        log: (l) => console.log(l),
      });
      console.log(`model server on ${running.url}, gRPC on ${running.grpc} (Ctrl-C or SIGTERM stops it)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    },
  },
  {
    name: 'console',
    usage: 'mlops console [--address HOST:PORT]',
    summary: 'run the read-only web console in the foreground (models, versions, curves, lineage, drift, feature sets)',
    options: { address: { type: 'string' } },
    action: async ({ values }) => {
      const running = await startConsole(loadConfig(), { address: values.address as string | undefined, log: (l) => console.log(l) });
      console.log(`console on ${running.url} (Ctrl-C or SIGTERM stops it)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    },
  },
  {
    name: 'demo',
    usage: 'mlops demo',
    summary: 'bring the stack up, run a level-0 pipeline (advanced by the demo) and a level-1 pipeline on real data',
    action: () => demoCommand(),
  },
  {
    name: 'synth',
    usage: 'mlops synth [--rows N] [--drift X] [--seed S] [--out FILE.csv|FILE.parquet]',
    summary: 'write a synthetic churn dataset (numeric, categorical, date columns; label churned)',
    options: { rows: { type: 'string' }, drift: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    action: ({ values }) => synthCommand(values),
  },
  {
    name: 'run manual',
    usage: 'mlops run manual [--spec FILE] [--data URI] [--target COL] [--name NAME] [--wait] [--json]',
    summary: 'start a level-0 pipeline whose stages wait for `mlops advance`',
    options: runOptions(),
    action: ({ values }) => runCommand('manual', values),
  },
  {
    name: 'run ct',
    usage: 'mlops run ct [--spec FILE] [--data URI] [--target COL] [--name NAME] [--wait] [--json]',
    summary: "start (or coalesce into) the model's level-1 continuous-training pipeline",
    options: runOptions(),
    action: ({ values }) => runCommand('ct', values),
  },
  {
    name: 'run cicd',
    usage: 'mlops run cicd --ref REF [--wait] [--json]',
    summary: 'build, test, replay and promote a version of the pipeline code (level 2)',
    options: { ref: { type: 'string' }, wait: { type: 'boolean' }, ...json },
    action: ({ values }) => runCicdCommand(values),
  },
  {
    name: 'advance',
    usage: 'mlops advance ID [--stage S] [--reject --reason R]',
    summary: 'approve (or reject) the next stage of a manual pipeline',
    options: { stage: { type: 'string' }, reject: { type: 'boolean' }, reason: { type: 'string' } },
    action: ({ values, positionals }) => advanceCommand(single(positionals, 'WORKFLOW_ID'), values),
  },
  ...(
    [
      [
        'create',
        'mlops schedule create ct --spec FILE (--every 1h | --cron EXPR) [--trigger schedule|data] [--id ID] | features --set NAME[@V] … (--every 15m | --cron EXPR)',
        'run continuous training (overlaps skipped, coalesced per model) or feature materialization on a schedule',
      ],
      ['list', 'mlops schedule list [--json]', 'list schedules'],
      ['delete', 'mlops schedule delete ID', 'delete a schedule'],
      ['trigger', 'mlops schedule trigger ID', 'run a schedule now'],
      ['pause', 'mlops schedule pause ID [--reason R]', 'pause a schedule'],
      ['unpause', 'mlops schedule unpause ID [--reason R]', 'resume a schedule'],
    ] as const
  ).map(([sub, usage, summary]): Command => ({
    name: `schedule ${sub}`,
    usage,
    summary,
    options: {
      ...runOptions(),
      every: { type: 'string' },
      cron: { type: 'string' },
      trigger: { type: 'string' },
      id: { type: 'string' },
      reason: { type: 'string' },
      set: { type: 'string', multiple: true },
    },
    action: ({ values, positionals }) => scheduleCommand(sub, values, positionals),
  })),
  {
    name: 'schema show',
    usage: 'mlops schema show NAME [--json]',
    summary: "a model's accepted dataset schema: kinds, ranges, categorical domains",
    options: json,
    action: ({ values, positionals }) => schemaShowCommand(single(positionals, 'NAME'), Boolean(values.json)),
  },
  {
    name: 'schema accept',
    usage: 'mlops schema accept NAME [--from-run ID] [--reason R]',
    summary: "adopt the schema of the latest (or that run's) validated dataset as the new baseline",
    options: { 'from-run': { type: 'string' }, reason: { type: 'string' } },
    action: ({ values, positionals }) =>
      schemaAcceptCommand(single(positionals, 'NAME'), values['from-run'] as string | undefined, values.reason as string | undefined),
  },
  {
    name: 'drift',
    usage:
      'mlops drift --reference URI --current URI [--method auto|ks|chisquare|ztest|psi|jensenshannon|wasserstein] [--correction none|bonferroni|bh] [--base e|2] [--partition-rows N] [--html FILE] [--store] [--json]',
    summary: 'compare two datasets column by column (KS, chi-squared, z, PSI, Jensen-Shannon, Wasserstein)',
    options: {
      reference: { type: 'string' },
      current: { type: 'string' },
      method: { type: 'string' },
      correction: { type: 'string' },
      base: { type: 'string' },
      'partition-rows': { type: 'string' },
      html: { type: 'string' },
      store: { type: 'boolean' },
      ...json,
    },
    action: ({ values }) => driftCommand(values),
  },
  {
    name: 'models list',
    usage: 'mlops models list [--json]',
    summary: 'registered models with their latest version and aliases',
    options: json,
    action: ({ values }) => modelsListCommand(Boolean(values.json)),
  },
  {
    name: 'models show',
    usage: 'mlops models show NAME [--json]',
    summary: "a model's versions, metrics, aliases and alias history",
    options: json,
    action: ({ values, positionals }) => modelsShowCommand(single(positionals, 'NAME'), Boolean(values.json)),
  },
  {
    name: 'models promote',
    usage: 'mlops models promote NAME VERSION --reason R',
    summary: 'point the production alias at a version by hand (ends a rollout in progress); recorded in the alias history',
    options: { reason: { type: 'string' } },
    action: ({ values, positionals }) => modelsPromoteCommand(positionals, values.reason as string | undefined),
  },
  {
    name: 'models rollback',
    usage: 'mlops models rollback NAME --reason R [--to VERSION]',
    summary: "roll back a rollout's challenger, or move production back to the previous (or given) version",
    options: { reason: { type: 'string' }, to: { type: 'string' } },
    action: ({ values, positionals }) => modelsRollbackCommand(positionals, values.reason as string | undefined, values.to as string | undefined),
  },
  {
    name: 'alerts log',
    usage: 'mlops alerts log [--model M] [--limit N] [--json]',
    summary: 'every alert delivery attempt (event, webhook, HTTP status or error, attempt), newest first',
    options: { model: { type: 'string' }, limit: { type: 'string' }, ...json },
    action: ({ values }) => alertsLogCommand(values),
  },
  {
    name: 'alerts test',
    usage: 'mlops alerts test URL [--secret-env NAME] [--model M]',
    summary: 'send a sample alert to URL now (signed with the secret in $NAME) and log the attempt',
    options: { 'secret-env': { type: 'string' }, model: { type: 'string' } },
    action: ({ values, positionals }) => alertsTestCommand(values, positionals),
  },
  {
    name: 'tokens create',
    usage: 'mlops tokens create NAME [--scope predict|feedback|admin]',
    summary: 'create a bearer token for the model server and print it once (stored hashed); from then on predict, feedback and /metrics need one',
    options: { scope: { type: 'string' } },
    action: ({ values, positionals }) => tokensCreateCommand(values, positionals),
  },
  {
    name: 'tokens list',
    usage: 'mlops tokens list [--json]',
    summary: 'the model server tokens: name, scope, created, revoked (never the token)',
    options: json,
    action: ({ values }) => tokensListCommand(values),
  },
  {
    name: 'tokens revoke',
    usage: 'mlops tokens revoke NAME',
    summary: 'revoke a model server token (refused within a few seconds)',
    action: ({ positionals }) => tokensRevokeCommand(positionals),
  },
  {
    name: 'runs list',
    usage: 'mlops runs list --model NAME [--json]',
    summary: 'training runs of a model: version, params, metrics, dataset and code version, verdict',
    options: { model: { type: 'string' }, ...json },
    action: ({ values }) => runsListCommand(values.model as string | undefined, Boolean(values.json)),
  },
  {
    name: 'labels export',
    usage: LABELS_EXPORT_USAGE,
    summary: 'the logged predictions most worth labelling (uncertainty, random, or champion/challenger disagreement) as CSV',
    options: { model: { type: 'string' }, sample: { type: 'string' }, strategy: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    action: ({ values }) => labelsExportCommand(values),
  },
  {
    name: 'labels import',
    usage: LABELS_IMPORT_USAGE,
    summary: 'send the labels of a filled-in labels export back as feedback',
    options: {},
    action: ({ positionals }) => labelsImportCommand(single(positionals, 'FILE')),
  },
  {
    name: 'runs compare',
    usage: 'mlops runs compare --model NAME [--json]',
    summary: 'the latest training runs of a model side by side, metric by metric',
    options: { model: { type: 'string' }, ...json },
    action: ({ values }) => runsCompareCommand(values.model as string | undefined, Boolean(values.json)),
  },
  {
    name: 'export',
    usage: EXPORT_USAGE,
    summary: 'write a self-contained bundle of a model version for the browser (onnxruntime-web) or an edge device (onnxruntime-node)',
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      alias: { type: 'string' },
      target: { type: 'string' },
      out: { type: 'string' },
      ...json,
    },
    action: ({ values }) => exportCommand(values),
  },
  {
    name: 'lineage',
    usage: 'mlops lineage NAME[@VERSION] [--json]',
    summary: 'everything upstream of a model version (default: production, else latest)',
    options: json,
    action: ({ values, positionals }) => lineageCommand(single(positionals, 'NAME[@VERSION]'), Boolean(values.json)),
  },
  {
    name: 'pipeline versions',
    usage: 'mlops pipeline versions [--json]',
    summary: 'versions of the pipeline code: unit tests, replay, integration run, promotions; * marks the current one',
    options: json,
    action: ({ values }) => pipelineVersionsCommand(values),
  },
  {
    name: 'pipeline rollback',
    usage: 'mlops pipeline rollback --reason R [--to REF]',
    summary: 'make the previous promoted pipeline version (or REF, if it passed CI/CD) current again',
    options: { reason: { type: 'string' }, to: { type: 'string' } },
    action: ({ values }) => pipelineRollbackCommand(values),
  },
  {
    name: 'features apply',
    usage: 'mlops features apply FILE [--json]',
    summary: 'register a feature-set definition (JSON): the same definition keeps its version, a changed one gets the next',
    options: json,
    action: ({ values, positionals }) => featuresApplyCommand(values, positionals),
  },
  {
    name: 'features materialize',
    usage: 'mlops features materialize NAME [--version N] [--partition-rows N] [--json]',
    summary:
      'write source rows past the watermark to the offline store (Parquet) and the latest per entity to the online store (a partitioned source: one activity per partition on the workers)',
    options: { version: { type: 'string' }, 'partition-rows': { type: 'string' }, ...json },
    action: ({ values, positionals }) => featuresMaterializeCommand(values, positionals),
  },
  {
    name: 'features get',
    usage: 'mlops features get NAME ENTITY [ENTITY...] [--version N] [--json]',
    summary: 'read the online features of entities',
    options: { version: { type: 'string' }, ...json },
    action: ({ values, positionals }) => featuresGetCommand(values, positionals),
  },
  {
    name: 'features training-set',
    usage: 'mlops features training-set --events URI --entity COL --timestamp COL --set NAME[@V][:F,F…] [--set …] [--prefixed] [--json]',
    summary: 'point-in-time join of labelled events with feature values as of each event, stored as Parquet with lineage',
    options: {
      events: { type: 'string' },
      entity: { type: 'string' },
      timestamp: { type: 'string' },
      set: { type: 'string', multiple: true },
      prefixed: { type: 'boolean' },
      ...json,
    },
    action: ({ values, positionals }) => featuresTrainingSetCommand(values, positionals),
  },
  {
    name: 'features score',
    usage:
      'mlops features score --model NAME [--alias A | --version N] (--set NAME[@V] [--set …] | --table URI [--as-of COLUMN] [--partition-rows N]) [--json]',
    summary:
      "batch scoring: the deployed model scores every entity's latest offline features (or a table, optionally as of a time column); predictions stored as Parquet with lineage",
    options: {
      model: { type: 'string' },
      alias: { type: 'string' },
      version: { type: 'string' },
      set: { type: 'string', multiple: true },
      table: { type: 'string' },
      'as-of': { type: 'string' },
      'partition-rows': { type: 'string' },
      ...json,
    },
    action: ({ values, positionals }) => featuresScoreCommand(values, positionals),
  },
  {
    name: 'features list',
    usage: 'mlops features list [--json]',
    summary: 'feature-set versions with their watermark and materialized rows',
    options: json,
    action: ({ values, positionals }) => featuresListCommand(values, positionals),
  },
  {
    name: 'spec validate',
    usage: 'mlops spec validate FILE [--json]',
    summary: 'check a pipeline spec file without running it: every wrong field at once (exit 2), or OK (exit 0); --json prints it with every default',
    options: json,
    action: async ({ values, positionals }) => specValidateCommand(values, positionals),
  },
  {
    name: 'gc',
    usage: 'mlops gc [--dry-run] [--grace-hours H]',
    summary: 'delete artifacts no lineage row references, older than a grace period (default 24 h)',
    options: { 'dry-run': { type: 'boolean' }, 'grace-hours': { type: 'string' } },
    action: ({ values }) => gcCommand(Boolean(values['dry-run']), values['grace-hours'] as string | undefined),
  },
];

function single(positionals: string[], what: string): string | undefined {
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

function runOptions(): Options {
  return {
    spec: { type: 'string' },
    data: { type: 'string' },
    target: { type: 'string' },
    name: { type: 'string' },
    wait: { type: 'boolean' },
    ...json,
  };
}

function allManagedOk(s: StackStatus): boolean {
  return s.temporal.ok && s.minio.ok && s.postgres.ok && s.worker.ok && s.serving.ok;
}

function printStatus(s: StackStatus): void {
  for (const [name, svc] of Object.entries(s) as [string, StackStatus[keyof StackStatus]][]) {
    const { ok, detail, ...rest } = svc;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    console.log(`${ok ? 'ok  ' : 'DOWN'} ${name.padEnd(9)} ${fields}${detail ? `  (${detail})` : ''}`);
  }
}
