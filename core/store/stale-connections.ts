// Stale connections. A keep-alive socket that the peer (or a proxy or NAT between) dropped while this side was
// idle, or while its event loop was busy, fails the next request with ECONNRESET, EPIPE or "socket hang up"
// although the request never reached the server. Calls that are safe to repeat are retried on a fresh
// connection a bounded number of times, with a log line; anything else fails as before.

/** Retries of one call after a stale-connection error. */
export const STALE_RETRIES = 4;

/** A line about a retried call; goes to stderr unless the caller says otherwise. */
export type StaleLog = (line: string) => void;
export const stderrLog: StaleLog = (line) => console.warn(`mlops: ${line}`);

export function isStaleConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  return typeof message === 'string' && /socket hang up|ECONNRESET|EPIPE|Connection terminated unexpectedly/i.test(message);
}

export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** HTTP methods S3 defines as idempotent; POST (multipart initiate/complete, batch delete) is not retried. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Whether an S3 request may be sent again: an idempotent method with a body that can be replayed (not a stream). */
export function s3RequestRetryable(method: string | undefined, body: unknown): boolean {
  return IDEMPOTENT_METHODS.has((method ?? 'GET').toUpperCase()) && (typeof body === 'string' || Buffer.isBuffer(body));
}

/**
 * Whether a SQL statement only reads (SELECT, SHOW, VALUES, or a WITH that modifies nothing), so running it
 * again after a reset cannot apply anything twice.
 */
export function sqlReadOnly(text: string): boolean {
  const sql = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').trim();
  if (/^(select|show|values)\b/i.test(sql)) return !/\b(into|for\s+update|for\s+share|nextval|setval|pg_advisory)/i.test(sql);
  if (/^with\b/i.test(sql)) return !/\b(insert|update|delete|merge|into|nextval|setval)\b/i.test(sql);
  return false;
}
