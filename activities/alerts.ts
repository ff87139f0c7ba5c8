// The alert delivery activity: posts one alert to every webhook that takes its event (the spec's, else the
// production spec's, plus MLOPS_ALERT_WEBHOOKS), logging each attempt in Postgres. A failed webhook fails the
// attempt so Temporal retries it with backoff (webhooks that took it are skipped); after ALERT_ATTEMPTS the
// alert is logged as given up and the activity completes: a webhook never fails a pipeline.
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { alertBody, postAlert, temporalUiLink } from '../core/alerts/deliver';
import { ALERT_ATTEMPTS, displayUrl, parseDefaultWebhooks, parseWebhooks, targetsFor, type Alert, type Webhook } from '../core/alerts/webhooks';
import { loadConfig, localEnvPath, parseEnvFile, type Config } from '../core/config';
import { logDelivery, settledTargets, webhookTarget } from '../core/store/alerts';
import type { ModelRegistry } from '../core/store/registry';
import { readFileSync } from 'node:fs';

export interface AlertOutcome {
  targets: number;
  delivered: number;
  failed: { url: string; error: string }[];
}

/** MLOPS_ALERT_WEBHOOKS from the environment, else from $MLOPS_HOME/local.env. */
export function configuredWebhooks(config: Config, env: NodeJS.ProcessEnv = process.env): Webhook[] {
  let value = env.MLOPS_ALERT_WEBHOOKS;
  if (value === undefined) {
    try {
      value = parseEnvFile(readFileSync(localEnvPath(config.home), 'utf8'), localEnvPath(config.home)).MLOPS_ALERT_WEBHOOKS;
    } catch {
      value = undefined;
    }
  }
  return parseDefaultWebhooks(value);
}

/** The webhooks in the spec of the model's production version (an alert raised outside a run). */
async function productionWebhooks(registry: ModelRegistry, model: string): Promise<Webhook[]> {
  const version = await registry.getAlias(model, 'production').catch(() => undefined);
  if (version === undefined) return [];
  const spec = ((await registry.getVersion(model, version))?.properties as { spec?: { alerts?: { webhooks?: unknown } } } | undefined)?.spec;
  try {
    return parseWebhooks(spec?.alerts?.webhooks ?? [], `${model} v${version} spec.alerts.webhooks`);
  } catch {
    return [];
  }
}

export interface SendOptions {
  attempt: number;
  final: boolean;
  config: Config;
  /** Instead of MLOPS_ALERT_WEBHOOKS (alerts test: only the URL given). */
  defaults?: Webhook[];
}

/** Sends to every target not yet settled for this alert; logs each attempt. Shared by the activity and `alerts test`. */
export async function sendAlert(pool: pg.Pool, registry: ModelRegistry, raised: Alert, o: SendOptions): Promise<AlertOutcome & { retry: boolean }> {
  // Not about a new version (a failed run, drift that persists): the version in production.
  const alert = { ...raised, version: raised.version ?? (await registry.getAlias(raised.model, 'production').catch(() => undefined)) ?? null };
  const own = alert.webhooks ?? (await productionWebhooks(registry, alert.model));
  const targets = targetsFor(alert.event, own, o.defaults ?? configuredWebhooks(o.config));
  const settled = await settledTargets(pool, alert.id);
  const ui = temporalUiLink(o.config.temporal.uiUrl, o.config.temporal.namespace, alert.workflowId, alert.runId);
  const body = alertBody(alert, ui);
  const pending = targets.filter((t) => !settled.has(webhookTarget(t.url)));
  const results = await Promise.all(pending.map(async (t) => ({ t, r: await postAlert(t, body, alert) })));
  for (const { t, r } of results) {
    await logDelivery(pool, {
      alertId: alert.id,
      event: alert.event,
      model: alert.model,
      version: alert.version,
      workflowId: alert.workflowId,
      url: displayUrl(t.url),
      target: webhookTarget(t.url),
      attempt: o.attempt,
      ok: r.ok,
      statusCode: r.statusCode,
      error: r.error,
      final: r.ok || !r.retryable || o.final,
      ms: r.ms,
    });
  }
  const failed = results.filter(({ r }) => !r.ok).map(({ t, r }) => ({ url: displayUrl(t.url), error: r.error ?? 'failed' }));
  return {
    targets: targets.length,
    delivered: targets.length - pending.length + results.filter(({ r }) => r.ok).length,
    failed,
    retry: !o.final && results.some(({ r }) => !r.ok && r.retryable),
  };
}

export function makeAlerts(deps: { pool: pg.Pool; registry: ModelRegistry; config?: Config }) {
  return {
    async deliverAlert(alert: Alert): Promise<AlertOutcome> {
      const attempt = activityInfo().attempt;
      const out = await sendAlert(deps.pool, deps.registry, alert, { attempt, final: attempt >= ALERT_ATTEMPTS, config: deps.config ?? loadConfig() });
      if (out.retry) {
        throw ApplicationFailure.retryable(
          `alert ${alert.event} for ${alert.model}: ${out.failed.map((f) => `${f.url}: ${f.error}`).join('; ')}`,
          'AlertDeliveryFailed',
        );
      }
      return { targets: out.targets, delivered: out.delivered, failed: out.failed };
    },
  };
}
