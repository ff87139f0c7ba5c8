// Bearer tokens of the model server (Postgres). A token is shown once, when created; only its SHA-256 is
// stored, so neither the table nor a log can give it back.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export const TOKEN_SCOPES = ['predict', 'feedback', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenInfo {
  name: string;
  scope: TokenScope;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a token and returns it: the only time it exists outside the caller's hands. */
export async function createToken(pool: pg.Pool, input: { name: string; scope: TokenScope; createdBy: string }): Promise<string> {
  if (!NAME.test(input.name)) throw new TokenError(`token name ${JSON.stringify(input.name)} must be 1-63 of a-z 0-9 _ . - (starting with a letter or digit)`);
  if (!TOKEN_SCOPES.includes(input.scope)) throw new TokenError(`scope ${JSON.stringify(input.scope)} is not one of ${TOKEN_SCOPES.join(', ')}`);
  const token = `mlops_${randomBytes(24).toString('base64url')}`;
  const res = await pool.query(`INSERT INTO serving_tokens (name, scope, sha256, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`, [
    input.name,
    input.scope,
    tokenSha256(token),
    input.createdBy,
  ]);
  if (res.rowCount === 0) throw new TokenError(`a token named ${input.name} exists already (revoked ones keep their name): pick another name`);
  return token;
}

export async function listTokens(pool: pg.Pool): Promise<TokenInfo[]> {
  const res = await pool.query('SELECT name, scope, created_by, created_at, revoked_at FROM serving_tokens ORDER BY created_at, name');
  return res.rows.map((r) => ({ name: r.name, scope: r.scope, createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

export async function revokeToken(pool: pg.Pool, name: string): Promise<void> {
  const res = await pool.query('UPDATE serving_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL', [name]);
  if (res.rowCount === 0) {
    const known = await pool.query('SELECT 1 FROM serving_tokens WHERE name = $1', [name]);
    throw new TokenError(known.rowCount ? `token ${name} is already revoked` : `no token named ${name} (mlops tokens list shows them)`);
  }
}

/** Every live token's hash → scope, and whether any token was ever created (once one exists, auth is on). */
export async function activeTokens(pool: pg.Pool): Promise<{ any: boolean; byHash: Map<string, TokenScope> }> {
  const res = await pool
    .query<{ sha256: string; scope: TokenScope; revoked: boolean }>('SELECT sha256, scope, revoked_at IS NOT NULL AS revoked FROM serving_tokens')
    .catch((err: { code?: string }) => {
      // A database not migrated yet (undefined_table) has no tokens: the server starts open, as before tokens existed.
      if (err.code === '42P01') return { rows: [] };
      throw err;
    });
  return { any: res.rows.length > 0, byHash: new Map(res.rows.filter((r) => !r.revoked).map((r) => [r.sha256, r.scope])) };
}
