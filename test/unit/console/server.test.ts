// The console's escaping and its front door (tokens, read-only methods, assets) without services: the page
// data comes from a pool stub that answers every query with no rows.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleContext } from '../../../console/context';
import { html, jsonScript, raw } from '../../../console/html';
import { createConsoleServer } from '../../../console/server';
import type { TokenSet } from '../../../serving/auth';

describe('console html', () => {
  it('escapes every interpolated string, in arrays too, and keeps markup made by html', () => {
    const name = '<img src=x onerror=alert(1)>';
    const out = html`<td title="${name}">${name}</td>${[name, html`<b>${'&'}</b>`]}${raw('<hr>')}`.text;
    expect(out).toBe(
      '<td title="&lt;img src=x onerror=alert(1)&gt;">&lt;img src=x onerror=alert(1)&gt;</td>&lt;img src=x onerror=alert(1)&gt;<b>&amp;</b><hr>',
    );
    expect(html`<a href="${'" onclick="x'}">`.text).toBe('<a href="&quot; onclick=&quot;x">');
  });

  it('embeds JSON that no string can break out of', () => {
    const out = jsonScript('d', { s: '</script><script>alert(1)</script>' }).text;
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>')))).toEqual({ s: '</script><script>alert(1)</script>' });
  });
});

describe('console server', () => {
  let server: http.Server;
  let url: string;
  let tokensExist = true;
  const tokens = (): TokenSet => ({ any: tokensExist, scopeOf: (t) => (t === 'good-token' ? 'predict' : undefined) });
  const ctx = {
    stores: { pool: { query: async () => ({ rows: [] }) } },
    temporal: null,
    temporalUi: 'http://127.0.0.1:8233/namespaces/default',
    readJson: async () => ({}),
  } as unknown as ConsoleContext;

  beforeAll(async () => {
    server = createConsoleServer(ctx, { tokens });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('asks for a token once tokens exist, but answers its health check', async () => {
    tokensExist = true;
    expect((await fetch(`${url}/models`)).status).toBe(401);
    expect((await fetch(`${url}/models`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${url}/assets/console.js`)).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/models`, { headers: { authorization: 'Bearer good-token' } })).status).toBe(200);
  });

  it('moves a token from the address into an HttpOnly cookie and redirects without it', async () => {
    tokensExist = true;
    const res = await fetch(`${url}/models?token=good-token&x=1`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/models?x=1');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${url}/models`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('No model registered yet');
  });

  it('is read-only and serves the chart bundles from node_modules', async () => {
    tokensExist = false;
    expect((await fetch(`${url}/models`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/models`, { method: 'DELETE' })).status).toBe(405);
    const vega = await fetch(`${url}/assets/vega-embed.min.js`);
    expect(vega.status).toBe(200);
    expect(vega.headers.get('content-type')).toMatch(/javascript/);
    expect(await vega.text()).not.toMatch(/sourceMappingURL/);
    expect((await fetch(`${url}/assets/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/models/UPPER`)).status).toBe(404);
    const api = await fetch(`${url}/api/models`);
    expect(await api.json()).toEqual({ title: 'Models', data: { models: [] }, charts: {} });
  });
});
