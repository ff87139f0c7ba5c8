// Every activity, bound to one set of stores. Workers register `createActivities(stores, {client})`; workflows
// import the type only.
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../core/config';
import type { Stores } from '../core/store';
import { makeAlerts } from './alerts';
import { makeBatchScore } from './batch-score';
import { makeCicd } from './cicd';
import { makeControl } from './control';
import { makeDeploy } from './deploy';
import { makeDriftPartitions } from './drift-partitions';
import { makeMonitor } from './monitor';
import { makeRollout } from './rollout';
import { makeFeatures } from './features';
import { makeFeatureSets } from './feature-sets';
import { makeGovern } from './govern';
import { makeIngest } from './ingest';
import { makeMaterializePartitions } from './materialize-partitions';
import { makePartitions } from './partitions';
import { makeSelect } from './select';
import { makeEvaluate } from './evaluate';
import { makeExternalTrain } from './external-train';
import { makeTrain } from './train';
import { makeTargets } from './targets';
import { makeValidate } from './validate';

export function createActivities(stores: Stores, opts: { client?: Client; taskQueue?: string; serveUrl?: string; config?: Config; serveWaitMs?: number } = {}) {
  return {
    ...makeAlerts({ pool: stores.pool, registry: stores.registry, config: opts.config }),
    ...makeCicd({ stores, config: opts.config, client: opts.client, taskQueue: opts.taskQueue ?? 'mlops' }),
    ...makeControl({ registry: stores.registry, client: opts.client, taskQueue: opts.taskQueue ?? 'mlops' }),
    ...makeMonitor({ stores, client: opts.client, taskQueue: opts.taskQueue ?? 'mlops' }),
    ...makeRollout({ stores, client: opts.client, taskQueue: opts.taskQueue ?? 'mlops', serveUrl: opts.serveUrl, serveWaitMs: opts.serveWaitMs }),
    deployModel: makeDeploy({
      lineage: stores.lineage,
      registry: stores.registry,
      serveUrl: opts.serveUrl,
      registrySchema: stores.schema,
      serveWaitMs: opts.serveWaitMs,
    }),
    deployToTargets: makeTargets(stores),
    ingestDataset: makeIngest({ artifacts: stores.artifacts, lineage: stores.lineage, s3: stores.s3, pool: stores.pool, schemas: stores.schemas }),
    ...makePartitions({ artifacts: stores.artifacts, lineage: stores.lineage, s3: stores.s3, pool: stores.pool }),
    ...makeBatchScore(stores),
    ...makeMaterializePartitions({ artifacts: stores.artifacts, lineage: stores.lineage, s3: stores.s3, pool: stores.pool }),
    ...makeDriftPartitions({ artifacts: stores.artifacts, lineage: stores.lineage, s3: stores.s3 }),
    ...makeFeatureSets({ artifacts: stores.artifacts, lineage: stores.lineage, s3: stores.s3, pool: stores.pool }),
    validateData: makeValidate({ artifacts: stores.artifacts, lineage: stores.lineage, schemas: stores.schemas }),
    governData: makeGovern({ artifacts: stores.artifacts, lineage: stores.lineage }),
    buildFeatures: makeFeatures({ artifacts: stores.artifacts, lineage: stores.lineage }),
    selectFeatures: makeSelect({ artifacts: stores.artifacts, lineage: stores.lineage }),
    trainModel: makeTrain(stores),
    ...makeExternalTrain({ stores, s3Endpoint: (opts.config ?? loadConfig()).s3.endpoint }),
    evaluateModel: makeEvaluate({ artifacts: stores.artifacts, lineage: stores.lineage, registry: stores.registry }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
