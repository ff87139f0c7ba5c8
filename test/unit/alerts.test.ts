// Alert signing, the spec's alerts section, the configured default, and the model server's token decisions.
import { describe, expect, it } from 'vitest';
import { alertBody, signBody, temporalUiLink, verifySignature } from '../../core/alerts/deliver';
import { displayUrl, parseDefaultWebhooks, targetsFor } from '../../core/alerts/webhooks';
import { parseSpec, SpecError } from '../../core/spec';
import { tokenSha256, type TokenScope } from '../../core/store/tokens';
import { decide, requiredScope, tokenSet } from '../../serving/auth';

const base = { data: { uri: 'x.csv' }, target: 'y' };

describe('alert signature', () => {
  it('is the hex HMAC-SHA256 of the raw body (scripts/reference/alert_signature.py)', () => {
    const body = '{"event":"run.failed","model":"churn","version":null}';
    expect(signBody(body, 's3cret-for-tests')).toBe('sha256=790d3107a2f9aef751e0cdc6f2dca4edb4b7ace7d9ab5a21802933b1a195c422');
    expect(verifySignature(body, 's3cret-for-tests', signBody(body, 's3cret-for-tests'))).toBe(true);
    expect(verifySignature(`${body} `, 's3cret-for-tests', signBody(body, 's3cret-for-tests'))).toBe(false);
    expect(verifySignature(body, 'another', signBody(body, 's3cret-for-tests'))).toBe(false);
    expect(verifySignature(body, 's3cret-for-tests', undefined)).toBe(false);
  });

  it('sends the event first, with the model, version, workflow, Temporal UI link and numbers', () => {
    const ui = temporalUiLink('http://127.0.0.1:8233', 'default', 'ct-churn', 'r1');
    expect(ui).toBe('http://127.0.0.1:8233/namespaces/default/workflows/ct-churn/r1/history');
    const body = JSON.parse(
      alertBody(
        { id: 'a', event: 'model.deployed', model: 'churn', version: 3, workflowId: 'ct-churn', runId: 'r1', message: 'm', numbers: { auc: 0.8 }, at: 't' },
        ui,
      ),
    );
    expect(Object.keys(body)[0]).toBe('event');
    expect(body).toMatchObject({ event: 'model.deployed', model: 'churn', version: 3, workflowId: 'ct-churn', temporalUi: ui, numbers: { auc: 0.8 } });
    expect(body).not.toHaveProperty('webhooks');
  });
});

describe('spec.alerts', () => {
  it('is absent unless given, and echoes webhooks as validated', () => {
    expect(parseSpec(base)).not.toHaveProperty('alerts');
    const spec = parseSpec({
      ...base,
      alerts: { webhooks: [{ url: 'https://hooks.example/x', events: ['run.failed', 'run.failed'], secretEnv: 'HOOK_SECRET' }] },
    });
    expect(spec.alerts).toEqual({ webhooks: [{ url: 'https://hooks.example/x', events: ['run.failed'], secretEnv: 'HOOK_SECRET' }] });
    expect(parseSpec(spec)).toEqual(spec);
  });

  it('rejects bad webhooks naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ webhooks: 'https://x' }, /spec.alerts.webhooks must be a list/],
      [{ hooks: [] }, /spec.alerts.hooks is not a field of alerts/],
      [{ webhooks: [{}] }, /spec.alerts.webhooks\[0\].url is required/],
      [{ webhooks: [{ url: 'ftp://x/y' }] }, /spec.alerts.webhooks\[0\].url must be an http:\/\/ or https:\/\/ URL/],
      [{ webhooks: [{ url: 'not a url' }] }, /spec.alerts.webhooks\[0\].url "not a url" is not a URL/],
      [{ webhooks: [{ url: 'https://u:p@x/y' }] }, /must not carry credentials/],
      [{ webhooks: [{ url: 'https://x', events: ['model.exploded'] }] }, /"model.exploded" is not an event \(events: run.failed, model.deployed/],
      [{ webhooks: [{ url: 'https://x', events: [] }] }, /events must be a non-empty list/],
      [{ webhooks: [{ url: 'https://x', secretEnv: 'the-secret-itself' }] }, /secretEnv must name an environment variable .*never in the spec/],
      [{ webhooks: [{ url: 'https://x', secret: 'abc' }] }, /spec.alerts.webhooks\[0\].secret is not a field of a webhook/],
    ];
    for (const [alerts, message] of cases) expect(() => parseSpec({ ...base, alerts })).toThrow(message);
    expect(() => parseSpec({ ...base, alerts: { webhooks: [{}] } })).toThrow(SpecError);
  });
});

describe('MLOPS_ALERT_WEBHOOKS', () => {
  it('takes a JSON list or comma-separated URLs; unset means none', () => {
    expect(parseDefaultWebhooks(undefined)).toEqual([]);
    expect(parseDefaultWebhooks(' ')).toEqual([]);
    expect(parseDefaultWebhooks('https://a/x, https://b/y')).toEqual([{ url: 'https://a/x' }, { url: 'https://b/y' }]);
    expect(parseDefaultWebhooks('[{"url":"https://a/x","events":["drift.persists"]}]')).toEqual([{ url: 'https://a/x', events: ['drift.persists'] }]);
    expect(() => parseDefaultWebhooks('[{"url":')).toThrow(/MLOPS_ALERT_WEBHOOKS is not valid JSON/);
    expect(() => parseDefaultWebhooks('ftp://a')).toThrow(/MLOPS_ALERT_WEBHOOKS\[0\].url must be an http/);
  });

  it('adds the default to every model, each URL once, filtered by event', () => {
    const own = [{ url: 'https://a/x', events: ['run.failed' as const] }, { url: 'https://b/y' }];
    const defaults = [{ url: 'https://b/y' }, { url: 'https://c/z', events: ['model.deployed' as const] }];
    expect(targetsFor('run.failed', own, defaults).map((w) => w.url)).toEqual(['https://a/x', 'https://b/y']);
    expect(targetsFor('model.deployed', own, defaults).map((w) => w.url)).toEqual(['https://b/y', 'https://c/z']);
  });

  it('logs URLs without their query string', () => {
    expect(displayUrl('https://hooks.example/a/b?token=abc')).toBe('https://hooks.example/a/b?…');
    expect(displayUrl('http://127.0.0.1:9/hook')).toBe('http://127.0.0.1:9/hook');
  });
});

describe('model server tokens', () => {
  const tokens = (entries: [string, TokenScope][]) => tokenSet({ any: true, byHash: new Map(entries.map(([t, s]) => [tokenSha256(t), s])) });
  const t = tokens([
    ['p', 'predict'],
    ['f', 'feedback'],
    ['a', 'admin'],
  ]);

  it('guards predict, feedback, V2 infer and /metrics; health and readiness stay open', () => {
    expect(requiredScope('POST', '/v1/models/churn:predict')).toBe('predict');
    expect(requiredScope('POST', '/v2/models/churn/versions/2/infer')).toBe('predict');
    expect(requiredScope('POST', '/v1/models/churn:log')).toBe('feedback');
    expect(requiredScope('POST', '/v1/models/churn:feedback')).toBe('feedback');
    expect(requiredScope('GET', '/metrics')).toBe('any');
    for (const [m, p] of [
      ['GET', '/v1/models/churn'],
      ['GET', '/v1/models'],
      ['GET', '/v2/health/ready'],
      ['GET', '/v2/models/churn/ready'],
    ])
      expect(requiredScope(m, p!)).toBeNull();
  });

  it('answers 401 without a valid token, 403 for a wrong scope, nothing once allowed; no tokens: open', () => {
    expect(decide('predict', undefined, tokenSet({ any: false, byHash: new Map() }))).toBeNull();
    expect(decide('predict', undefined, t)?.status).toBe(401);
    expect(decide('predict', 'Basic p', t)?.status).toBe(401);
    expect(decide('predict', 'Bearer nope', t)?.status).toBe(401);
    expect(decide('predict', 'Bearer f', t)).toEqual({ status: 403, message: "the token's scope feedback does not allow predict (needs predict or admin)" });
    expect(decide('predict', 'Bearer p', t)).toBeNull();
    expect(decide('feedback', 'bearer f', t)).toBeNull();
    expect(decide('feedback', 'Bearer a', t)).toBeNull();
    expect(decide('any', 'Bearer f', t)).toBeNull();
    expect(decide(null, undefined, t)).toBeNull();
    // Answers are remembered per token: asking again gives the same.
    expect(decide('predict', 'Bearer nope', t)?.status).toBe(401);
    expect(decide('predict', 'Bearer p', t)).toBeNull();
  });
});
