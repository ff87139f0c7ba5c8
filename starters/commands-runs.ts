// The `mlops` commands that start and steer pipeline runs: run manual|ct|cicd, advance (approve or reject a
// waiting run), schedule, schema show|accept and drift.
import { runCicdCommand } from './cicd-commands';
import { json, single, type Command, type Options } from './command';
import { driftCommand } from './drift-command';
import { advanceCommand, runCommand, scheduleCommand } from './pipeline-commands';
import { schemaAcceptCommand, schemaShowCommand } from './store-commands';

export const RUN_COMMANDS: Command[] = [
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
];

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
