// Every workflow type the worker registers (task queue `mlops`).
export { continuousTrainingPipeline } from './continuous-training';
export { manualPipeline } from './manual';
export { driftMonitor } from './monitor';
export { abTest } from './ab-test';
export { cicdPipeline } from './cicd';
export { materializeFeatures, materializePartitions } from './materialize';
export { alertDelivery } from './alerts';
export { ingestPartitions } from './partitioned-ingest';
export { batchScore, scorePartitions } from './batch-score';
export { partitionedDrift } from './partitioned-drift';
