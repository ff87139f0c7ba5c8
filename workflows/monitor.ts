// The drift monitor of one deployed model (id drift-<model>): every interval it compares the logged
// features of recent predictions with the deployed version's training reference; on dataset drift it asks
// the model's CT workflow to retrain (trigger `drift`, drifted columns, report), at most once per cool-down.
// It also reports training/serving skew (rows whose served features differ from the offline ones).
// Every deploy refreshes it; it continues as new so it can run for months.
import { continueAsNew, log, patched, setHandler, sleep, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { raiseAlert } from './alerts';
import {
  ctWorkflowId,
  monitorStatusQuery,
  MlopsLevel,
  MlopsModel,
  MlopsTrigger,
  refreshMonitorSignal,
  type MonitorInput,
  type MonitorStatus,
} from './contracts';
import { activitiesFor } from './stages';

const { checkDrift, requestTraining } = activitiesFor('checkDrift', 'requestTraining');

const CHECKS_PER_RUN = 200;

/**
 * Consecutive checks of a deployed version without enough logged predictions (monitor.minRows) after which the
 * monitor says it cannot judge drift: a full window's worth of checks, at least 3. Once per such stretch.
 */
function insufficientTrafficChecks(input: Pick<MonitorInput, 'interval' | 'window'>): number {
  return Math.max(3, Math.ceil(input.window / input.interval));
}

export async function driftMonitor(input: MonitorInput): Promise<void> {
  let settings = input;
  upsertSearchAttributes([
    { key: MlopsModel, value: input.model },
    { key: MlopsLevel, value: 1 },
    { key: MlopsTrigger, value: 'drift' },
  ]);
  const status: MonitorStatus = { model: input.model, checks: 0, retrains: input.retrains ?? 0, last: null };
  let lastRetrainAt = input.lastRetrainAt ?? 0;
  let unjudged = input.unjudged ?? 0;
  setHandler(refreshMonitorSignal, (next) => {
    settings = { ...next, lastRetrainAt, retrains: status.retrains, unjudged };
  });
  setHandler(monitorStatusQuery, () => status);
  // Alerts go out when drift, concept drift or skew appears, not on every check that still sees it.
  const seen = { drift: false, concept: false, skew: false, domain: false, estimated: false };
  for (let i = 0; i < CHECKS_PER_RUN; i++) {
    await sleep(settings.interval * 1000);
    const r = await checkDrift({
      model: settings.model,
      windowSeconds: settings.window,
      minRows: settings.minRows,
      options: { correction: settings.correction },
      drift: {
        method: settings.method,
        threshold: settings.threshold,
        columns: settings.columns,
        base: settings.base,
        autoTestMaxValues: settings.autoTestMaxValues,
        domainClassifier: settings.domainClassifier,
      },
      maxEstimatedDrop: settings.maxEstimatedDrop,
      maxPerformanceDrop: settings.maxPerformanceDrop,
      minLabels: settings.minLabels,
    });
    status.checks++;
    status.last = {
      version: r.version,
      rows: r.rows,
      datasetDrift: r.datasetDrift,
      driftedColumns: r.driftedColumns,
      reportUri: r.reportUri,
      skew: r.skew ? { checked: r.skew.checked, share: r.skew.share, skew: r.skew.skew, columns: r.skew.columns.map((c) => c.name) } : null,
      domain: r.domain ? { auc: r.domain.auc, threshold: r.domain.threshold, drift: r.domain.drift, top: r.domain.top.map((t) => t.name) } : null,
      estimate: r.estimate ? { rows: r.estimate.rows, estimated: r.estimate.estimated, dropped: r.estimate.dropped } : null,
    };
    // Skew is a serving or data bug: retraining would learn it, so it is reported, not acted on.
    if (r.skew?.skew)
      log.warn(`training/serving skew in ${r.skew.columns.map((c) => c.name).join(', ')} (${(r.skew.share * 100).toFixed(1)}% of ${r.skew.checked} rows)`);
    const concept = r.concept?.drift === true;
    const base = { model: settings.model, version: r.version };
    // Too little traffic to judge is not "no drift": after a window's worth of such checks, say so once.
    if (patched('monitor-insufficient-traffic')) {
      unjudged = r.version !== null && !r.enough ? unjudged + 1 : 0;
      if (unjudged === insufficientTrafficChecks(settings)) {
        await raiseAlert({
          ...base,
          event: 'monitor.insufficient_traffic',
          message: `${settings.model}: drift cannot be judged: the last ${unjudged} checks each found fewer than ${settings.minRows} logged predictions of v${r.version} in their ${settings.window} s window (monitor.minRows); is traffic reaching the model server? (batch scores are not logged)`,
          numbers: { checks: unjudged, rows: r.rows, minRows: settings.minRows, windowSeconds: settings.window, intervalSeconds: settings.interval },
        });
      }
    }
    if (r.datasetDrift && !seen.drift) {
      await raiseAlert({
        ...base,
        event: 'drift.detected',
        message: `${settings.model}: data drift in ${r.driftedColumns.join(', ')} (${r.driftedColumns.length} columns, ${(r.driftedShare * 100).toFixed(0)}% of features)`,
        numbers: {
          rows: r.rows,
          driftedColumns: r.driftedColumns,
          driftedShare: r.driftedShare,
          reportUri: r.reportUri,
          windowSeconds: settings.window,
          correction: settings.correction,
        },
      });
    }
    if (concept && !seen.concept) {
      await raiseAlert({
        ...base,
        event: 'concept_drift.detected',
        message: `${settings.model}: live ${r.concept!.metric} ${r.concept!.live.toFixed(3)} vs ${r.concept!.evaluated.toFixed(3)} at evaluation (${r.concept!.labels} labels)`,
        numbers: { ...r.concept!, maxPerformanceDrop: settings.maxPerformanceDrop ?? null },
      });
    }
    if (r.skew?.skew && !seen.skew) {
      await raiseAlert({
        ...base,
        event: 'skew.detected',
        message: `${settings.model}: training/serving skew in ${r.skew.columns.map((c) => c.name).join(', ')} (${(r.skew.share * 100).toFixed(1)}% of ${r.skew.checked} rows)`,
        numbers: { checked: r.skew.checked, share: r.skew.share, columns: r.skew.columns },
      });
    }
    // Multivariate drift is reported, not retrained on by itself: column drift or concept drift decide that.
    if (r.domain?.drift && !seen.domain) {
      await raiseAlert({
        ...base,
        event: 'domain_drift.detected',
        message: `${settings.model}: a classifier tells recent traffic from the training data (held-out AUC ${r.domain.auc.toFixed(3)} > ${r.domain.threshold.toFixed(3)} under permuted labels); most separating: ${r.domain.top
          .slice(0, 3)
          .map((t) => t.name)
          .join(', ')}`,
        numbers: { ...r.domain, rows: r.rows, reportUri: r.reportUri },
      });
    }
    seen.domain = r.domain?.drift === true;
    // CBPE: a significant estimated drop is concept-drift evidence before any label arrives.
    const estimatedDrop = (r.estimate?.dropped.length ?? 0) > 0;
    if (estimatedDrop && !seen.estimated) {
      const e = r.estimate!;
      await raiseAlert({
        ...base,
        event: 'performance_drop.estimated',
        message: `${settings.model}: estimated ${e.dropped.map((k) => `${k} ${e.estimated[k]!.toFixed(3)} (reference ${e.reference[k]!.toFixed(3)})`).join(', ')} on ${e.rows} predictions, before labels`,
        numbers: { ...e, onEstimatedDrop: settings.onEstimatedDrop ?? 'alert' },
      });
    }
    seen.estimated = estimatedDrop;
    const retrainOnEstimate = estimatedDrop && settings.onEstimatedDrop === 'retrain';
    seen.drift = r.datasetDrift;
    seen.concept = concept;
    seen.skew = r.skew?.skew === true;
    if ((r.datasetDrift || concept || retrainOnEstimate) && r.spec && Date.now() - lastRetrainAt >= settings.coolDown * 1000) {
      lastRetrainAt = Date.now();
      status.retrains++;
      const reason = [
        ...(r.datasetDrift ? [`drift in ${r.driftedColumns.join(', ')}`] : []),
        ...(concept ? [`concept drift: live ${r.concept!.metric} ${r.concept!.live.toFixed(3)} vs ${r.concept!.evaluated.toFixed(3)} at evaluation`] : []),
        ...(retrainOnEstimate ? [`estimated ${r.estimate!.dropped.join(', ')} drop before labels (CBPE)`] : []),
      ].join('; ');
      const request = { requestId: uuid4(), trigger: 'drift' as const, reason, driftedColumns: r.driftedColumns, reportUri: r.reportUri ?? undefined };
      await requestTraining({ workflowId: ctWorkflowId(settings.model), request, startInput: { ...r.spec, run: { ...request } } });
    }
  }
  await continueAsNew<typeof driftMonitor>({ ...settings, lastRetrainAt, retrains: status.retrains, unjudged });
}
