// CLI commands of alerts and serving tokens: alerts log|test, tokens create|list|revoke, and the alert a
// rollback by hand raises (delivered by the alertDelivery workflow, so it is retried like any other).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { sendAlert } from '../activities/alerts';
import { loadConfig } from '../core/config';
import { parseWebhooks, WebhookError, type Alert } from '../core/alerts/webhooks';
import { openStores, type Stores } from '../core/store';
import { listDeliveries } from '../core/store/alerts';
import { assertModelName } from '../core/store/registry';
import { createToken, listTokens, revokeToken, TOKEN_SCOPES, TokenError, type TokenScope } from '../core/store/tokens';
import { alertWorkflowId, workflows } from '../workflows/contracts';
import { withClient } from './pipeline-commands';
import { UsageError } from './usage-error';

async function withStores<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
  const stores = openStores(loadConfig());
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

const iso = (d: Date | null | undefined): string => (d ? d.toISOString() : '-');

export async function alertsLogCommand(values: Record<string, unknown>): Promise<number> {
  const model = values.model as string | undefined;
  if (model !== undefined) {
    try {
      assertModelName(model);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const limitText = (values.limit as string | undefined) ?? '50';
  if (!/^[1-9]\d{0,4}$/.test(limitText)) throw new UsageError(`--limit ${JSON.stringify(limitText)} is not a whole number from 1 to 99999`);
  return withStores(async ({ pool }) => {
    const rows = await listDeliveries(pool, { ...(model ? { model } : {}), limit: Number(limitText) });
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) console.log(`no alert deliveries${model ? ` for ${model}` : ''}`);
    for (const r of rows) {
      const outcome = r.ok ? `delivered (HTTP ${r.statusCode})` : `${r.final ? 'gave up' : 'failed, will retry'}: ${r.error}`;
      console.log(
        `${iso(r.at)}  ${r.event.padEnd(22)} ${r.model}${r.version !== null ? ` v${r.version}` : ''}  ${r.url}  attempt ${r.attempt}  ${outcome}  ${r.ms} ms  ${r.workflowId}`,
      );
    }
    return 0;
  });
}

/** Sends a sample alert now, from this process, and logs it like any delivery. */
export async function alertsTestCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const usage = 'mlops alerts test URL [--secret-env NAME] [--model M]';
  if (positionals.length !== 1) throw new UsageError(`expected one URL; usage: ${usage}`);
  const secretEnv = values['secret-env'] as string | undefined;
  let hooks;
  try {
    hooks = parseWebhooks([{ url: positionals[0], ...(secretEnv !== undefined ? { secretEnv } : {}) }], 'the webhook');
  } catch (err) {
    if (err instanceof WebhookError) throw new UsageError(err.message.replace('the webhook[0].secretEnv', '--secret-env').replace('the webhook[0].url', 'URL'));
    throw err;
  }
  if (secretEnv && !process.env[secretEnv])
    throw new UsageError(`--secret-env ${secretEnv}: that environment variable is not set here, so the sample could not be signed`);
  const model = (values.model as string | undefined) ?? 'sample-model';
  const config = loadConfig();
  const alert: Alert = {
    id: randomUUID(),
    event: 'model.deployed',
    model,
    version: 1,
    workflowId: 'mlops-alerts-test',
    runId: '',
    message: `a sample alert from mlops alerts test (${os.userInfo().username})`,
    numbers: { sample: true },
    at: new Date().toISOString(),
    webhooks: hooks,
  };
  return withStores(async ({ pool, registry }) => {
    // Only this URL: the sample does not go to MLOPS_ALERT_WEBHOOKS.
    const out = await sendAlert(pool, registry, alert, { attempt: 1, final: true, config, defaults: [] });
    if (out.failed.length > 0) {
      console.error(`mlops: the sample alert was not delivered to ${out.failed[0]!.url}: ${out.failed[0]!.error}`);
      return 1;
    }
    console.log(`sample alert ${alert.event} delivered to ${positionals[0]}${secretEnv ? ` (signed with $${secretEnv})` : ' (unsigned)'}`);
    return 0;
  });
}

/** The model.rolled_back alert of a rollback by hand: queued as an alertDelivery workflow; never fails the rollback. */
export async function raiseRollbackAlert(input: {
  model: string;
  from: number | null;
  to: number | null;
  challenger?: number;
  reason: string;
  actor: string;
}): Promise<void> {
  const alert: Alert = {
    id: randomUUID(),
    event: 'model.rolled_back',
    model: input.model,
    version: input.to,
    workflowId: alertWorkflowId(randomUUID()),
    runId: '',
    message:
      input.challenger !== undefined
        ? `${input.model}: challenger v${input.challenger} rolled back by ${input.actor}: ${input.reason}`
        : `${input.model}: production rolled back from v${input.from} to v${input.to} by ${input.actor}: ${input.reason}`,
    numbers: {
      from: input.from,
      to: input.to,
      ...(input.challenger !== undefined ? { challenger: input.challenger } : {}),
      reason: input.reason,
      actor: input.actor,
    },
    at: new Date().toISOString(),
  };
  try {
    await withClient(async (client, config) => {
      await client.workflow.start(workflows.alertDelivery, { workflowId: alert.workflowId, taskQueue: config.taskQueue, args: [alert] });
    });
  } catch (err) {
    console.error(`mlops: the model.rolled_back alert was not queued: ${(err as Error).message}`);
  }
}

function tokenName(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one token NAME; usage: ${usage}`);
  return positionals[0]!;
}

export async function tokensCreateCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const usage = 'mlops tokens create NAME [--scope predict|feedback|admin]';
  const name = tokenName(positionals, usage);
  const scope = (values.scope as string | undefined) ?? 'predict';
  if (!TOKEN_SCOPES.includes(scope as TokenScope))
    throw new UsageError(`--scope ${JSON.stringify(scope)} is not one of ${TOKEN_SCOPES.join(', ')}; usage: ${usage}`);
  return withStores(async ({ pool }) => {
    const hadTokens = (await listTokens(pool)).length > 0;
    let token: string;
    try {
      token = await createToken(pool, { name, scope: scope as TokenScope, createdBy: os.userInfo().username });
    } catch (err) {
      if (err instanceof TokenError) throw new UsageError(err.message);
      throw err;
    }
    console.log(token);
    console.error(`token ${name} (scope ${scope}) created; it is shown only now: store it, send it as Authorization: Bearer <token>`);
    if (!hadTokens) console.error('the model server now requires a token on predict, feedback and /metrics (within a few seconds)');
    return 0;
  });
}

export async function tokensListCommand(values: Record<string, unknown>): Promise<number> {
  return withStores(async ({ pool }) => {
    const tokens = await listTokens(pool);
    if (values.json) {
      console.log(JSON.stringify(tokens, null, 2));
      return 0;
    }
    if (tokens.length === 0) console.log('no tokens: the model server is open to every caller (mlops tokens create NAME)');
    for (const t of tokens)
      console.log(
        `${t.name.padEnd(24)} ${t.scope.padEnd(9)} created ${iso(t.createdAt)} by ${t.createdBy}${t.revokedAt ? `  revoked ${iso(t.revokedAt)}` : ''}`,
      );
    return 0;
  });
}

export async function tokensRevokeCommand(positionals: string[]): Promise<number> {
  const name = tokenName(positionals, 'mlops tokens revoke NAME');
  return withStores(async ({ pool }) => {
    try {
      await revokeToken(pool, name);
    } catch (err) {
      if (err instanceof TokenError) throw new UsageError(err.message);
      throw err;
    }
    console.log(`token ${name} revoked (the model server refuses it within a few seconds)`);
    return 0;
  });
}
