// Bearer tokens on the model server. Once any token has been created (`mlops tokens create`), predict,
// feedback and /metrics need `Authorization: Bearer <token>`: 401 when missing or unknown, 403 when its scope
// does not cover the route (admin covers all). Health, readiness and model metadata stay open.
// The check is synchronous against a cached set of token hashes, refreshed in the background at most every
// TOKEN_TTL_MS: a created or revoked token takes effect within that time, and no request waits on Postgres.
import type http from 'node:http';
import type pg from 'pg';
import { activeTokens, tokenSha256, type TokenScope } from '../core/store/tokens';

export const TOKEN_TTL_MS = 2_000;

type Need = TokenScope | 'any';

/** The scope a route needs, or null when it is open. */
export function requiredScope(method: string | undefined, pathname: string): Need | null {
  if (method === 'GET' && pathname === '/metrics') return 'any';
  if (method !== 'POST') return null;
  if (/^\/v1\/models\/[^/]+:predict$/.test(pathname) || /^\/v2\/models\/.+\/infer$/.test(pathname)) return 'predict';
  // Predictions an edge bundle logs are monitoring data, like labels: the feedback scope.
  if (/^\/v1\/models\/[^/]+:(feedback|log)$/.test(pathname)) return 'feedback';
  return null;
}

export interface Denial {
  status: 401 | 403;
  message: string;
}

export interface TokenSet {
  /** Whether any token was ever created: until then the server is open. */
  any: boolean;
  /** A presented token's scope; undefined when unknown or revoked. */
  scopeOf: (token: string) => TokenScope | undefined;
}

/** The decision for one request, given the live tokens. */
export function decide(need: Need | null, authorization: string | undefined, tokens: TokenSet): Denial | null {
  if (need === null || !tokens.any) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return { status: 401, message: 'this model server requires a token: send Authorization: Bearer <token> (mlops tokens create NAME)' };
  const scope = tokens.scopeOf(m[1]!);
  if (!scope) return { status: 401, message: 'the bearer token is not valid (unknown or revoked)' };
  if (need !== 'any' && scope !== 'admin' && scope !== need)
    return { status: 403, message: `the token's scope ${scope} does not allow ${need} (needs ${need} or admin)` };
  return null;
}

export type Authorizer = ((req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => boolean) & {
  /** The same decision for a gRPC inference call (scope predict), from its `authorization` metadata. */
  infer: (authorization: string | undefined) => Denial | null;
};

/** Loads the tokens once, then keeps them fresh; the returned function answers a denied request and returns true. */
/**
 * The token set over hashes from Postgres. Hashing every request would cost more than the rest of the check,
 * so the answer per presented token is remembered until the next refresh (bounded, so junk tokens cannot grow it).
 */
export function tokenSet(live: { any: boolean; byHash: Map<string, TokenScope> }): TokenSet {
  const seen = new Map<string, TokenScope | undefined>();
  return {
    any: live.any,
    scopeOf: (token) => {
      if (seen.has(token)) return seen.get(token);
      const scope = live.byHash.get(tokenSha256(token));
      if (seen.size >= 10_000) seen.clear();
      seen.set(token, scope);
      return scope;
    },
  };
}

/**
 * The live token set: loaded once, then refreshed in the background when older than the TTL (no caller waits
 * on Postgres; a failed refresh keeps the last set, never none, which would open the server).
 */
export async function liveTokens(pool: pg.Pool, opts: { ttlMs?: number; log?: (line: string) => void } = {}): Promise<() => TokenSet> {
  let tokens = tokenSet(await activeTokens(pool));
  let loadedAt = Date.now();
  let refreshing = false;
  const ttl = opts.ttlMs ?? TOKEN_TTL_MS;
  const refresh = (): void => {
    refreshing = true;
    activeTokens(pool)
      .then(
        (t) => {
          tokens = tokenSet(t);
          loadedAt = Date.now();
        },
        (err: Error) => {
          loadedAt = Date.now();
          opts.log?.(`could not refresh serving tokens: ${err.message}`);
        },
      )
      .finally(() => {
        refreshing = false;
      });
  };
  return (): TokenSet => {
    if (!refreshing && Date.now() - loadedAt > ttl) refresh();
    return tokens;
  };
}

export async function createAuthorizer(pool: pg.Pool, opts: { ttlMs?: number; log?: (line: string) => void } = {}): Promise<Authorizer> {
  const current = await liveTokens(pool, opts);
  const check = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean => {
    const denial = decide(requiredScope(req.method, pathname), req.headers.authorization, current());
    if (!denial) return false;
    const text = JSON.stringify({ error: denial.message });
    res.writeHead(denial.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...(denial.status === 401 ? { 'www-authenticate': 'Bearer realm="mlops"' } : {}),
    });
    res.end(text);
    return true;
  };
  return Object.assign(check, { infer: (authorization: string | undefined) => decide('predict', authorization, current()) });
}
