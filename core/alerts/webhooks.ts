// Alert webhooks: the events, the spec's `alerts.webhooks` entries and their validation. No I/O here, so the
// spec parser (which also runs inside workflows) can use it; signing and delivery live in deliver.ts.
import { z } from 'zod';
import { nonEmpty, parseWith, phrase, refuse, section } from '../spec-fields';

export const ALERT_EVENTS = [
  'run.failed',
  'model.deployed',
  'model.rolled_back',
  'drift.detected',
  'concept_drift.detected',
  'drift.persists',
  'abtest.decided',
  'skew.detected',
  'domain_drift.detected',
  'performance_drop.estimated',
  'monitor.insufficient_traffic',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/** One alert as the workflows raise it; the delivery activity adds the Temporal UI link and signs it. */
export interface Alert {
  /** Idempotency key: a retried delivery skips the webhooks that already took this alert. */
  id: string;
  event: AlertEvent;
  model: string;
  version: number | null;
  workflowId: string;
  runId: string;
  message: string;
  /** The numbers that decided it (metrics, p-values, drifted columns, …). */
  numbers: Record<string, unknown>;
  at: string;
  /** The spec's webhooks; absent: those of the model's production spec. The configured default is always added. */
  webhooks?: Webhook[];
}

/** Delivery attempts per alert (Temporal retries with backoff); after the last one the alert is logged as given up. */
export const ALERT_ATTEMPTS = 5;

export class WebhookError extends Error {
  override name = 'WebhookError';
}

const SECRET_ENV = /^[A-Z_][A-Z0-9_]{0,127}$/;
const SHAPE = '{"url", "events"?, "secretEnv"?}';

/** An http(s) URL without credentials (chat webhooks carry tokens in the query, which logs never show). */
const url = z
  .string({ error: 'the http:// or https:// address to POST alerts to' })
  .min(1, { error: 'the http:// or https:// address to POST alerts to' })
  .superRefine((v, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      refuse(ctx, [], `${JSON.stringify(v)} is not a URL`);
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') refuse(ctx, [], `must be an http:// or https:// URL, got ${parsed.protocol}`);
    if (parsed.username || parsed.password) refuse(ctx, [], 'must not carry credentials (user:password@); sign with secretEnv instead');
  });

const webhook = section(
  {
    url,
    events: nonEmpty(
      z.enum(ALERT_EVENTS, { error: phrase(`{value} is not an event (events: ${ALERT_EVENTS.join(', ')})`) }),
      `a non-empty list of events (${ALERT_EVENTS.join(', ')})`,
    )
      .transform((events) => [...new Set(events)])
      .optional()
      .describe('only these events (default: every event)'),
    secretEnv: z
      .string({ error: phrase('must name an environment variable (A-Z 0-9 _), got {value}: put the secret in that variable on the worker, never in the spec') })
      .regex(SECRET_ENV, {
        error: phrase('must name an environment variable (A-Z 0-9 _), got {value}: put the secret in that variable on the worker, never in the spec'),
      })
      .optional()
      .describe('the environment variable (on the worker) holding the HMAC secret; the secret itself never enters a spec'),
  },
  { noun: 'a field of a webhook', expected: `an object ${SHAPE}` },
);

/** A list of webhooks: the spec's `alerts.webhooks`, MLOPS_ALERT_WEBHOOKS, `mlops alerts test`. */
export const webhooksSchema = z.array(webhook, { error: `a list of ${SHAPE}` });

export type Webhook = z.output<typeof webhook>;

/** Validates a list of webhooks; `where` names it in messages (`spec.alerts.webhooks`, `MLOPS_ALERT_WEBHOOKS`). */
export function parseWebhooks(raw: unknown, where: string): Webhook[] {
  const result = parseWith(webhooksSchema, raw, { root: where });
  if (!result.ok) throw new WebhookError(result.messages.join('\n'));
  return result.value;
}

/**
 * The configured default for every model (MLOPS_ALERT_WEBHOOKS): a JSON list of webhooks, or a
 * comma-separated list of URLs. Empty or unset: none.
 */
export function parseDefaultWebhooks(value: string | undefined): Webhook[] {
  const text = (value ?? '').trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new WebhookError('MLOPS_ALERT_WEBHOOKS is not valid JSON (a list of {"url", "events"?, "secretEnv"?}, or comma-separated URLs)');
    }
    return parseWebhooks(raw, 'MLOPS_ALERT_WEBHOOKS');
  }
  return parseWebhooks(
    text.split(',').map((u) => ({ url: u.trim() })),
    'MLOPS_ALERT_WEBHOOKS',
  );
}

/** The webhooks that take an event: the spec's (or production's) plus the defaults, each URL once. */
export function targetsFor(event: AlertEvent, own: Webhook[], defaults: Webhook[]): Webhook[] {
  const seen = new Set<string>();
  return [...own, ...defaults].filter((w) => {
    if (w.events && !w.events.includes(event)) return false;
    if (seen.has(w.url)) return false;
    seen.add(w.url);
    return true;
  });
}

/** A URL as logs and `alerts log` show it: no query string or fragment (chat webhooks carry tokens there). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
}
