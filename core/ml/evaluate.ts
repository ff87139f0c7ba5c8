// The evaluate stage: score the production model (the champion) on the candidate's test split — the
// champion runs its own ONNX graph on features computed by its own feature plan — and apply the spec's
// gates. A failed gate is an outcome (blessed: false, with reasons), never an error.
import { withDatasetTable } from '../data/dataset-table';
import type { DatasetRef, Progress } from '../data/ingest';
import type { FeaturePlan } from '../features/plan';
import { feedsFromColumns } from '../onnx/feeds';
import { scoreOnnx } from '../onnx/score';
import { OUTPUT, type OnnxSignature } from '../onnx/signature';
import type { PipelineSpec } from '../spec';
import type { ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { LOWER_IS_BETTER, metricsOf, type Metrics, type Predictions } from './scorecard';
import type { TrainedModel } from './train';
import { prepareTrainingData } from './training-data';

export interface Evaluation {
  blessed: boolean;
  reasons: string[];
  champion: { version: number; metrics: Metrics } | null;
  candidate: { version: number; metrics: Metrics };
}

export interface EvaluateInput {
  model: string;
  dataset: DatasetRef;
  candidate: TrainedModel;
  spec: PipelineSpec;
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(6)).toString());

/** Gate checks on the candidate's metrics; `champion` metrics were measured on the same test rows. */
export function applyGates(spec: PipelineSpec, candidate: TrainedModel, champion: Metrics | null): string[] {
  const reasons: string[] = [];
  const m = candidate.metrics;
  for (const [metric, bound] of Object.entries(spec.gates.min)) {
    const v = m[metric];
    if (v === undefined) {
      reasons.push(`gates.min.${metric}: the model has no metric ${metric} (it has ${Object.keys(m).join(', ')})`);
      continue;
    }
    const lower = LOWER_IS_BETTER.has(metric);
    if (v === null || (lower ? v > bound : v < bound)) reasons.push(`${metric} ${fmt(v)} is ${lower ? 'above the maximum' : 'below the minimum'} ${bound}`);
  }
  if (champion) {
    for (const [metric, limit] of Object.entries(spec.gates.maxRegression)) {
      const now = m[metric];
      const before = champion[metric];
      if (now === null || now === undefined || before === null || before === undefined) continue;
      const drop = LOWER_IS_BETTER.has(metric) ? now - before : before - now;
      if (limit.absolute !== undefined && drop > limit.absolute)
        reasons.push(`${metric} regressed by ${fmt(drop)} against production (${fmt(before)} → ${fmt(now)}), more than ${limit.absolute}`);
      if (limit.relative !== undefined && before !== 0 && drop / Math.abs(before) > limit.relative) {
        reasons.push(
          `${metric} regressed by ${fmt((drop / Math.abs(before)) * 100)}% against production (${fmt(before)} → ${fmt(now)}), more than ${fmt(limit.relative * 100)}%`,
        );
      }
    }
  }
  if (spec.gates.maxFairnessGap !== null) {
    for (const [attribute, f] of Object.entries(candidate.fairness)) {
      for (const [name, gap] of [
        ['demographic parity difference', f.demographicParityDifference],
        ['true-positive-rate difference', f.equalOpportunityDifference],
      ] as const) {
        if (gap !== null && gap > spec.gates.maxFairnessGap)
          reasons.push(`${name} over ${attribute} is ${fmt(gap)}, above the maximum ${spec.gates.maxFairnessGap}`);
      }
    }
  }
  if (spec.gates.maxP99LatencyMs !== null && candidate.latency.p99Ms > spec.gates.maxP99LatencyMs) {
    reasons.push(`p99 single-row latency ${fmt(candidate.latency.p99Ms)} ms is above the maximum ${spec.gates.maxP99LatencyMs} ms`);
  }
  return reasons;
}

export async function evaluateStage(
  input: EvaluateInput,
  deps: { artifacts: ArtifactStore; registry: ModelRegistry; onProgress?: Progress },
): Promise<Evaluation> {
  const progress = deps.onProgress ?? (() => undefined);
  const championVersion = await deps.registry.getAlias(input.model, input.spec.deploy.alias);
  let champion: Evaluation['champion'] = null;
  if (championVersion !== undefined && championVersion !== input.candidate.version) {
    const mv = await deps.registry.getVersion(input.model, championVersion);
    const props = mv?.properties as
      { planUri?: string; planSha256?: string; selected?: string[]; task?: string; classes?: string[]; threshold?: number } | undefined;
    if (mv && props?.planUri && props.planSha256 && props.selected && props.task === input.candidate.task) {
      const plan = JSON.parse((await deps.artifacts.getBuffer(deps.artifacts.keyOf(props.planUri), props.planSha256)).toString('utf8')) as FeaturePlan;
      const bytes = await deps.artifacts.getBuffer(deps.artifacts.keyOf(mv.uri), mv.sha256);
      // The candidate's split (same dataset, target and seed), the champion's own features.
      const data = await withDatasetTable(deps.artifacts, input.dataset, (conn, table) => prepareTrainingData(conn, table, plan, props.selected!, input.spec));
      const signature = mv.signature as unknown as OnnxSignature;
      const out = await scoreOnnx(new Uint8Array(bytes), feedsFromColumns(signature.inputs, data.features, data.split.test));
      const championClasses = props.classes ?? [];
      const sameClasses = JSON.stringify(championClasses) === JSON.stringify(data.classes);
      if (input.candidate.task !== 'regression' && !sameClasses) {
        progress(`production v${championVersion} predicts classes ${championClasses.join(', ')}, the data has ${data.classes.join(', ')}: not comparable`);
      } else {
        const p: Predictions =
          input.candidate.task === 'regression'
            ? { values: Float64Array.from(out[OUTPUT.value] as Float32Array) }
            : { proba: Float64Array.from(out[OUTPUT.probabilities] as Float32Array) };
        const labels = input.candidate.task === 'regression' ? new Int32Array(0) : Int32Array.from(data.split.test, (i) => data.labels[i]!);
        const targets = input.candidate.task === 'regression' ? Float64Array.from(data.split.test, (i) => data.targets[i]!) : new Float64Array(0);
        champion = { version: championVersion, metrics: metricsOf(input.candidate.task, data.classes.length, labels, targets, p, props.threshold ?? 0.5) };
        progress(
          `production v${championVersion} on the same test rows: ${input.candidate.primaryMetric}=${fmt(champion.metrics[input.candidate.primaryMetric])}`,
        );
      }
    }
  }
  const reasons = applyGates(input.spec, input.candidate, champion?.metrics ?? null);
  return { blessed: reasons.length === 0, reasons, champion, candidate: { version: input.candidate.version, metrics: input.candidate.metrics } };
}
