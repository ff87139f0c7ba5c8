// Reading a JSON request body (bounded) and the caller's routing key: shared by the V1 and V2 REST routes.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { RequestError } from '../core/predict/score';

export const MAX_BODY_BYTES = 1 << 20;

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new RequestError(413, `request body over ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function parseJson(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RequestError(400, 'the body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RequestError(400, 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The caller's sticky key (X-Mlops-Key, else X-Request-Id), or a random one: only a rollout needs it. */
export function routingKey(req: http.IncomingMessage): string {
  const key = req.headers['x-mlops-key'] ?? req.headers['x-request-id'];
  return typeof key === 'string' && key.length > 0 && key.length <= 256 ? key : randomUUID();
}

/** The request target as a URL; a plain path (the usual case) skips the full URL parser. */
export function requestUrl(req: http.IncomingMessage): URL | { pathname: string } {
  const target = req.url ?? '/';
  if (/^\/[A-Za-z0-9/:._-]*$/.test(target) && !target.includes('/.') && !target.includes('//')) return { pathname: target };
  if (!URL.canParse(target, 'http://localhost')) throw new RequestError(400, `the request target ${JSON.stringify(target.slice(0, 100))} is not a path`);
  return new URL(target, 'http://localhost');
}
