// Signing and posting one alert to one webhook. The body is signed as sent: X-Mlops-Signature is
// `sha256=<hex HMAC-SHA256 of the raw body>` with the secret from the environment variable the webhook names.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert, Webhook } from './webhooks';

export const SIGNATURE_HEADER = 'x-mlops-signature';
const TIMEOUT_MS = 10_000;

export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): true when the header is the body's signature with this secret. */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(body, secret));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** What a webhook receives: the event first, then what it is about and the numbers that decided it. */
export function alertBody(alert: Alert, temporalUi: string): string {
  return JSON.stringify({
    event: alert.event,
    id: alert.id,
    model: alert.model,
    version: alert.version,
    workflowId: alert.workflowId,
    runId: alert.runId,
    temporalUi,
    message: alert.message,
    numbers: alert.numbers,
    at: alert.at,
  });
}

/** The Temporal UI page of a run. */
export function temporalUiLink(uiBase: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${encodeURIComponent(runId)}` : ''}/history`;
}

export interface DeliveryResult {
  ok: boolean;
  /** Worth another attempt: network errors, timeouts, 408, 429 and 5xx. */
  retryable: boolean;
  statusCode: number | null;
  error: string | null;
  ms: number;
}

/** One POST. The secret is read here, from the environment, and goes nowhere but into the HMAC. */
export async function postAlert(
  hook: Webhook,
  body: string,
  alert: Pick<Alert, 'id' | 'event'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeliveryResult> {
  const started = Date.now();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'temporal-mlops-alerts',
    'x-mlops-event': alert.event,
    'x-mlops-delivery': alert.id,
  };
  if (hook.secretEnv) {
    const secret = env[hook.secretEnv];
    if (!secret)
      return {
        ok: false,
        retryable: false,
        statusCode: null,
        error: `the environment variable ${hook.secretEnv} (secretEnv) is not set on the worker: not sent unsigned`,
        ms: 0,
      };
    headers[SIGNATURE_HEADER] = signBody(body, secret);
  }
  try {
    const res = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return {
      ok,
      retryable: !ok && (res.status === 408 || res.status === 429 || res.status >= 500),
      statusCode: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      ms: Date.now() - started,
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, retryable: true, statusCode: null, error: why, ms: Date.now() - started };
  }
}
