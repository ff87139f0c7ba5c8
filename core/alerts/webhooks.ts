// Alert webhooks: the events, the spec's `alerts.webhooks` entries and their validation. No I/O here, so the
// spec parser (which also runs inside workflows) can use it; signing and delivery live in deliver.ts.

export const ALERT_EVENTS = [
  'run.failed', 'model.deployed', 'model.rolled_back', 'drift.detected', 'concept_drift.detected', 'drift.persists', 'abtest.decided', 'skew.detected', 'domain_drift.detected', 'performance_drop.estimated',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface Webhook {
  url: string;
  /** Only these events (default: every event). */
  events?: AlertEvent[];
  /** The environment variable (on the worker) holding the HMAC secret; the secret itself never enters a spec. */
  secretEnv?: string;
}

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

/** Validates a list of webhooks; `where` names it in messages (`spec.alerts.webhooks`, `MLOPS_ALERT_WEBHOOKS`). */
export function parseWebhooks(raw: unknown, where: string): Webhook[] {
  if (!Array.isArray(raw)) throw new WebhookError(`${where} must be a list of {"url", "events"?, "secretEnv"?}, got ${JSON.stringify(raw)}`);
  return raw.map((w, i) => {
    const at = `${where}[${i}]`;
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new WebhookError(`${at} must be an object {"url", "events"?, "secretEnv"?}, got ${JSON.stringify(w)}`);
    const o = w as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['url', 'events', 'secretEnv'].includes(k)) throw new WebhookError(`${at}.${k} is not a field of a webhook (fields: url, events, secretEnv)`);
    const url = checkUrl(o.url, `${at}.url`);
    let events: AlertEvent[] | undefined;
    if (o.events !== undefined) {
      if (!Array.isArray(o.events) || o.events.length === 0) throw new WebhookError(`${at}.events must be a non-empty list of events (${ALERT_EVENTS.join(', ')}), got ${JSON.stringify(o.events)}`);
      for (const e of o.events) if (!ALERT_EVENTS.includes(e as AlertEvent)) throw new WebhookError(`${at}.events: ${JSON.stringify(e)} is not an event (events: ${ALERT_EVENTS.join(', ')})`);
      events = [...new Set(o.events as AlertEvent[])];
    }
    if (o.secretEnv !== undefined && (typeof o.secretEnv !== 'string' || !SECRET_ENV.test(o.secretEnv))) {
      throw new WebhookError(`${at}.secretEnv must name an environment variable (A-Z 0-9 _), got ${JSON.stringify(o.secretEnv)}: put the secret in that variable on the worker, never in the spec`);
    }
    return { url, ...(events ? { events } : {}), ...(o.secretEnv !== undefined ? { secretEnv: o.secretEnv as string } : {}) };
  });
}

function checkUrl(v: unknown, at: string): string {
  if (typeof v !== 'string' || v === '') throw new WebhookError(`${at} is required: the http:// or https:// address to POST alerts to`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new WebhookError(`${at} ${JSON.stringify(v)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookError(`${at} must be an http:// or https:// URL, got ${url.protocol}`);
  if (url.username || url.password) throw new WebhookError(`${at} must not carry credentials (user:password@); sign with secretEnv instead`);
  return v;
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
  return parseWebhooks(text.split(',').map((u) => ({ url: u.trim() })), 'MLOPS_ALERT_WEBHOOKS');
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
