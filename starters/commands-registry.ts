// The `mlops` commands over what runs leave in the stores — models, runs, lineage, exports, pipeline versions,
// features, alerts, tokens, labels, gc — and spec validate.
import { alertsLogCommand, alertsTestCommand, tokensCreateCommand, tokensListCommand, tokensRevokeCommand } from './alert-commands';
import { pipelineRollbackCommand, pipelineVersionsCommand } from './cicd-commands';
import { json, single, type Command } from './command';
import { EXPORT_USAGE, exportCommand } from './export-command';
import {
  featuresApplyCommand,
  featuresGetCommand,
  featuresListCommand,
  featuresMaterializeCommand,
  featuresScoreCommand,
  featuresTrainingSetCommand,
} from './feature-commands';
import { LABELS_EXPORT_USAGE, LABELS_IMPORT_USAGE, labelsExportCommand, labelsImportCommand } from './label-commands';
import { specValidateCommand } from './spec-command';
import {
  gcCommand,
  lineageCommand,
  modelsListCommand,
  modelsPromoteCommand,
  modelsRollbackCommand,
  modelsShowCommand,
  runsCompareCommand,
  runsListCommand,
} from './store-commands';

export const REGISTRY_COMMANDS: Command[] = [
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
