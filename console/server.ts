// The console's HTTP server (node:http): server-rendered pages, their JSON twins under /api, and the chart
// library served from node_modules. Read-only (GET and HEAD only). Once serving tokens exist, every route
// but /healthz needs one: a bearer header, or the cookie set by opening any page once with ?token=….
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { projectRoot } from '../infra/paths';
import { decide, type TokenSet } from '../serving/auth';
import type { ConsoleContext, PageHandler } from './context';
import { html, layout } from './html';
import { comparePage } from './pages/compare';
import { driftPage, driftReportPage } from './pages/drift';
import { featureSetsPage } from './pages/feature-sets';
import { artifactPage, datasetLineagePage, versionLineagePage } from './pages/lineage';
import { modelPage } from './pages/model';
import { modelsPage } from './pages/models';
import { versionPage } from './pages/version';

const PART = '([^/]+)';

/** Every page with its stable URL pattern. */
export const ROUTES: { pattern: RegExp; page: PageHandler }[] = [
  { pattern: /^\/models$/, page: modelsPage },
  { pattern: new RegExp(`^/models/${PART}$`), page: modelPage },
  { pattern: new RegExp(`^/models/${PART}/versions/${PART}$`), page: versionPage },
  { pattern: new RegExp(`^/models/${PART}/versions/${PART}/lineage$`), page: versionLineagePage },
  { pattern: new RegExp(`^/models/${PART}/drift$`), page: driftPage },
  { pattern: new RegExp(`^/models/${PART}/drift/${PART}$`), page: driftReportPage },
  { pattern: /^\/compare$/, page: comparePage },
  { pattern: new RegExp(`^/datasets/${PART}/lineage$`), page: datasetLineagePage },
  { pattern: new RegExp(`^/artifacts/${PART}$`), page: artifactPage },
  { pattern: /^\/feature-sets$/, page: featureSetsPage },
];

const TOKEN_COOKIE = 'mlops_console_token';

// Vega compiles its expressions with Function(): 'unsafe-eval' is the price of the charts; inline scripts stay
// forbidden, so an escaped string that slipped through could still not run. vega-embed injects its own styles.
const CSP =
  "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function assetFiles(): Map<string, { file: string; type: string }> {
  const bundle = (pkg: string, file: string) => ({ file: path.join(projectRoot(), 'node_modules', pkg, 'build', file), type: 'text/javascript' });
  const own = (name: string, type: string) => ({ file: path.join(projectRoot(), 'console', 'assets', name), type });
  return new Map([
    ['vega.min.js', bundle('vega', 'vega.min.js')],
    ['vega-lite.min.js', bundle('vega-lite', 'vega-lite.min.js')],
    ['vega-embed.min.js', bundle('vega-embed', 'vega-embed.min.js')],
    ['console.js', own('console.js', 'text/javascript')],
    ['console.css', own('console.css', 'text/css')],
  ]);
}

/** Assets read once at start; the bundles lose their source-map comment (the maps are not served). */
function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [name, a] of assetFiles()) {
    const text = readFileSync(a.file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    out.set(name, { body: Buffer.from(text), type: `${a.type}; charset=utf-8` });
  }
  return out;
}

export interface ConsoleServerOptions {
  /** The live serving tokens (none yet = open). */
  tokens: () => TokenSet;
  log?: (line: string) => void;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: http.OutgoingHttpHeaders = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'content-type': type,
    'content-length': buf.length,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

function errorPage(title: string, message: string): string {
  return layout({ title, body: html`<p class="error">${message}</p>` });
}

function cookieToken(req: http.IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Handles one request; exported for the benchmark, which times pages without sockets in between. */
export async function renderRoute(ctx: ConsoleContext, pathname: string, query: URLSearchParams): Promise<{ status: number; type: string; body: string }> {
  const api = pathname.startsWith('/api/');
  const route = api ? pathname.slice(4) : pathname;
  for (const { pattern, page } of ROUTES) {
    const m = pattern.exec(route);
    if (!m) continue;
    let params: string[];
    try {
      params = m.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      break;
    }
    const result = await page(ctx, params, query);
    if (!result) break;
    if (api)
      return { status: 200, type: 'application/json; charset=utf-8', body: JSON.stringify({ title: result.title, data: result.data, charts: result.charts }) };
    return { status: 200, type: 'text/html; charset=utf-8', body: layout({ title: result.title, crumbs: result.crumbs ?? [], body: result.body }) };
  }
  const message = `nothing at ${route}`;
  return api
    ? { status: 404, type: 'application/json; charset=utf-8', body: JSON.stringify({ error: message }) }
    : { status: 404, type: 'text/html; charset=utf-8', body: errorPage('Not found', message) };
}

export function createConsoleServer(ctx: ConsoleContext, opts: ConsoleServerOptions): http.Server {
  const assets = loadAssets();
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'the console is read-only: use the CLI or the Temporal UI to act\n', { allow: 'GET, HEAD' });
      return;
    }
    if (url.pathname === '/healthz') return send(res, 200, 'application/json', '{"ok":true}');
    const offered = url.searchParams.get('token');
    const tokens = opts.tokens();
    const presented = offered ?? cookieToken(req);
    const denial = decide('any', presented ? `Bearer ${presented}` : req.headers.authorization, tokens);
    if (denial) {
      const text = `${denial.message.replace('this model server', 'the console')}; or open any page once with ?token=<token>`;
      return send(res, denial.status, 'text/html; charset=utf-8', errorPage('Token needed', text), { 'www-authenticate': 'Bearer realm="mlops"' });
    }
    if (offered !== null) {
      // Keep the token out of the address bar, history and logs: remember it in a cookie, then reload without it.
      url.searchParams.delete('token');
      const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(offered)}; HttpOnly; SameSite=Strict; Path=/`;
      return send(res, 303, 'text/plain', '', { location: `${url.pathname}${url.search}`, 'set-cookie': cookie });
    }
    if (url.pathname === '/') return send(res, 302, 'text/plain', '', { location: '/models' });
    if (url.pathname.startsWith('/assets/')) {
      const a = assets.get(url.pathname.slice('/assets/'.length));
      if (!a) return send(res, 404, 'text/plain; charset=utf-8', 'no such asset\n');
      return send(res, 200, a.type, a.body, { 'cache-control': 'public, max-age=3600' });
    }
    const started = process.hrtime.bigint();
    renderRoute(ctx, url.pathname, url.searchParams).then(
      (out) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        send(res, out.status, out.type, out.body, { 'content-security-policy': CSP, 'server-timing': `app;dur=${ms.toFixed(1)}`, 'cache-control': 'no-store' });
      },
      (err: Error) => {
        opts.log?.(`console: ${req.method} ${url.pathname}: ${err.message}`);
        send(res, 500, 'text/html; charset=utf-8', errorPage('Error', `could not render ${url.pathname}: ${err.message}`), { 'content-security-policy': CSP });
      },
    );
  });
}
