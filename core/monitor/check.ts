// One drift check of a deployed model: the logged features of its recent predictions against its training
// reference, with the same statistics as `mlops drift`. The report is stored as artifacts and a row.
import type { Stores } from '../store';
import { normalSf } from '../stats/special';
import { detectDrift, type ColumnDrift, type DriftColumn, type DriftOptions, type DriftReport } from '../stats/drift';
import { columnHistograms, renderDriftHtml, type ColumnHistogram } from '../stats/report-html';
import { storeDriftReport } from '../stats/report-store';
import type { Derivation } from '../features/spec';
import type { PipelineSpec } from '../spec';
import type { ReferenceSample } from './reference';
import { domainClassifierCheck, type DomainClassifierCheck } from './domain-classifier';
import type { CbpeReference } from './cbpe';
import { estimateWindow, realiseEstimates, type EstimateCheck, type RealisedEstimate } from './performance';
import { MONITOR_DRIFT_DEFAULTS, monitorDriftOptions, type MonitorDriftSpec } from './drift-options';
import { checkSkew, type SkewInput, type SkewReport } from './skew';

export interface DriftCheck {
  model: string;
  version: number | null;
  /** Logged predictions compared (0 when there were too few to judge). */
  rows: number;
  enough: boolean;
  datasetDrift: boolean;
  driftedColumns: string[];
  driftedShare: number;
  reportUri: string | null;
  /** Live performance from feedback labels against the evaluation metric (null: too few labels). */
  concept: { metric: 'accuracy' | 'rmse'; live: number; evaluated: number; labels: number; drift: boolean; pValue?: number } | null;
  /** Training/serving skew on logged rows that carry data.keys (null: no keys in the spec or the log). */
  skew: SkewReport | null;
  /** The multivariate (domain-classifier) check (null: turned off or too few rows). */
  domain: DomainClassifierCheck | null;
  /** CBPE: this window's estimated performance from the served probabilities (null: not a binary classifier, too few rows). */
  estimate: EstimateCheck | null;
  /** Earlier windows whose labels arrived since: realised performance and the estimate's error. */
  realised: RealisedEstimate[];
}

export interface DriftCheckInput {
  model: string;
  alias?: string;
  /** Predictions of the last this-many seconds. */
  windowSeconds: number;
  /** Fewer logged predictions than this: no verdict. */
  minRows?: number;
  maxRows?: number;
  /** The monitor's test choice (spec.monitor.method, threshold, columns, base, autoTestMaxValues). */
  drift?: Partial<MonitorDriftSpec>;
  /** Options of detectDrift over those the monitor's settings give (correction, alpha, …). */
  options?: DriftOptions;
  maxPerformanceDrop?: number;
  minLabels?: number;
  /** CBPE: an estimated drop beyond this (and beyond the window's sampling error) raises an alarm. */
  maxEstimatedDrop?: number;
}

/** Concept drift: the deployed version's accuracy (RMSE for regression) on predictions that got feedback labels. */
async function livePerformance(input: DriftCheckInput, stores: Stores, version: number, metrics: Record<string, unknown>): Promise<DriftCheck['concept']> {
  const res = await stores.pool.query<{ predicted: string | null; value: string | null; label: string }>(
    `SELECT p.output->>'label' AS predicted, p.output->>'value' AS value, f.label FROM predictions p JOIN feedback f ON f.prediction_id = p.id
      WHERE p.model = $1 AND p.version = $2 AND p.at > now() - make_interval(secs => $3)`,
    [input.model, version, input.windowSeconds],
  );
  if (res.rows.length < (input.minLabels ?? 30)) return null;
  const drop = input.maxPerformanceDrop ?? 0.05;
  if (typeof metrics.rmse === 'number') {
    const errors = res.rows.map((r) => (Number(r.value) - Number(r.label)) ** 2).filter(Number.isFinite);
    const live = Math.sqrt(errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length));
    return { metric: 'rmse', live, evaluated: metrics.rmse, labels: res.rows.length, drift: live > metrics.rmse * (1 + drop) };
  }
  if (typeof metrics.accuracy !== 'number') return null;
  const n = res.rows.length;
  const live = res.rows.filter((r) => r.predicted === r.label).length / n;
  // A few hundred labels move accuracy by a few points by chance: the drop must be beyond maxPerformanceDrop
  // AND significant (one-sided z-test of live accuracy against evaluated − drop, 5%).
  const z = (metrics.accuracy - drop - live) / Math.sqrt(Math.max(live * (1 - live), 1 / n) / n);
  const pValue = normalSf(z);
  return { metric: 'accuracy', live, evaluated: metrics.accuracy, labels: n, drift: live < metrics.accuracy - drop && pValue < 0.05, pValue };
}

async function skewOf(
  props: { spec?: PipelineSpec; protected?: string[] },
  signature: { raw?: SkewInput['raw']; derive?: Derivation[] } | undefined,
  logged: Record<string, unknown>[],
  stores: Stores,
): Promise<SkewReport | null> {
  const keys = props.spec?.data.keys ?? [];
  if (!props.spec || keys.length === 0 || logged.length === 0) return null;
  return checkSkew(
    {
      dataUri: props.spec.data.uri,
      keys,
      raw: signature?.raw ?? [],
      derive: signature?.derive ?? [],
      logged,
      skip: props.protected ?? [],
      maxShare: props.spec.monitor.maxSkew,
    },
    { s3: stores.s3 },
  );
}

export async function checkModelDrift(input: DriftCheckInput, stores: Stores): Promise<DriftCheck> {
  const none = (version: number | null): DriftCheck => ({
    model: input.model,
    version,
    rows: 0,
    enough: false,
    datasetDrift: false,
    driftedColumns: [],
    driftedShare: 0,
    reportUri: null,
    concept: null,
    skew: null,
    domain: null,
    estimate: null,
    realised: [],
  });
  const version = (await stores.registry.getAlias(input.model, input.alias ?? 'production').catch(() => undefined)) ?? null;
  if (version === null) return none(null);
  const mv = await stores.registry.getVersion(input.model, version);
  const props = (mv?.properties ?? {}) as {
    referenceUri?: string;
    referenceSha256?: string;
    spec?: PipelineSpec;
    protected?: string[];
    cbpe?: CbpeReference;
    classes?: string[];
  };
  if (!props.referenceUri || !props.referenceSha256) return none(version);
  const reference = JSON.parse(
    (await stores.artifacts.getBuffer(stores.artifacts.keyOf(props.referenceUri), props.referenceSha256)).toString('utf8'),
  ) as ReferenceSample;
  const res = await stores.pool.query<{ features: Record<string, unknown> }>(
    `SELECT features FROM predictions WHERE model = $1 AND version = $2 AND at > now() - make_interval(secs => $3) ORDER BY at DESC LIMIT $4`,
    [input.model, version, input.windowSeconds, input.maxRows ?? 50_000],
  );
  const rows = res.rows.length;
  const concept = await livePerformance(input, stores, version, (mv?.metrics ?? {}) as Record<string, unknown>);
  const skew = await skewOf(
    props,
    mv?.signature as { raw?: SkewInput['raw']; derive?: Derivation[] } | undefined,
    res.rows.map((r) => r.features),
    stores,
  );
  const realised = await realiseEstimates({ model: input.model, version, minLabels: input.minLabels ?? 30 }, props.cbpe, props.classes, stores);
  const estimate = await estimateWindow(
    { model: input.model, version, windowSeconds: input.windowSeconds, minRows: input.minRows ?? 50, maxEstimatedDrop: input.maxEstimatedDrop ?? 0.05 },
    props.cbpe,
    props.classes,
    stores,
  );
  const performance = { concept, skew, estimate, realised };
  if (rows < (input.minRows ?? 50)) return { ...none(version), rows, ...performance };
  const all: DriftColumn[] = reference.columns.map((c) =>
    c.kind === 'numeric'
      ? {
          name: c.name,
          kind: 'numeric',
          reference: Float64Array.from(c.values, (v) => (v === null ? NaN : v)),
          current: Float64Array.from(res.rows, (r) => {
            const v = r.features[c.name];
            return typeof v === 'number' ? v : NaN;
          }),
        }
      : {
          name: c.name,
          kind: 'categorical',
          reference: c.values,
          current: res.rows.map((r) => {
            const v = r.features[c.name];
            return v === null || v === undefined ? null : String(v);
          }),
        },
  );
  // A feature absent from every logged row (older logs, another client) cannot be compared: leave it out.
  const present = (c: DriftColumn): boolean => (c.kind === 'numeric' ? c.current.some((v) => !Number.isNaN(v)) : c.current.some((v) => v !== null));
  const columns = all.filter((c) => present(c) && (c.kind === 'numeric' ? c.reference.some((v) => !Number.isNaN(v)) : c.reference.some((v) => v !== null)));
  if (columns.length === 0) return { ...none(version), rows, ...performance };
  const report: DriftReport = detectDrift(columns, { ...monitorDriftOptions(input.drift ?? {}, input.options?.correction ?? 'none'), ...input.options });
  const domainSettings = input.drift?.domainClassifier ?? MONITOR_DRIFT_DEFAULTS.domainClassifier;
  const domain = domainSettings.enabled
    ? domainClassifierCheck(columns, { alpha: domainSettings.alpha, permutations: domainSettings.permutations, seed: version })
    : null;
  const histograms = columnHistograms(columns);
  const html = renderDriftHtml(report, histograms, {
    title: `Drift of ${input.model} v${version}`,
    reference: `training reference (${reference.rows} rows)`,
    current: `${rows} logged predictions`,
    createdAt: new Date().toISOString(),
  });
  const refs = await storeDriftReport(stores.artifacts, { ...report, ...(domain ? { domainClassifier: domain } : {}) }, html);
  const driftedColumns = report.columns.filter((c) => c.drifted).map((c) => c.name);
  await stores.pool.query(
    `INSERT INTO drift_reports (model, version, rows, drifted_share, dataset_drift, columns, report_uri, skew, domain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      input.model,
      version,
      rows,
      report.driftedShare,
      report.datasetDrift,
      JSON.stringify(withHistograms(report, histograms)),
      refs.html.uri,
      skew ? JSON.stringify(skew) : null,
      domain ? JSON.stringify(domain) : null,
    ],
  );
  return {
    model: input.model,
    version,
    rows,
    enough: true,
    datasetDrift: report.datasetDrift,
    driftedColumns,
    driftedShare: report.driftedShare,
    reportUri: refs.html.uri,
    ...performance,
    domain,
  };
}

/** Each column's drift with its reference vs current histogram, so a row alone can be drawn (the console does). */
function withHistograms(report: DriftReport, histograms: ColumnHistogram[]): (ColumnDrift & { histogram?: ColumnHistogram })[] {
  const byName = new Map(histograms.map((h) => [h.name, h]));
  return report.columns.map((c) => {
    const h = byName.get(c.name);
    return h ? { ...c, histogram: h } : c;
  });
}
