// Starts the model server: loads every model with the serving alias, listens for alias moves (Postgres
// NOTIFY) to hot-reload, and serves KServe V1 and V2 on MLOPS_SERVE_ADDRESS and the V2 gRPC service on
// MLOPS_GRPC_ADDRESS (loopback by default).
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { parseHostPort, requireCredentials, type Config } from '../core/config';
import { openStores } from '../core/store';
import { listenAliasChanges } from '../core/store/registry';
import { CHALLENGER } from '../core/rollout/routing';
import { createAuthorizer } from './auth';
import { startGrpc } from './grpc';
import { ModelHost } from './model-host';
import { dropOldPartitions, ensurePartitions } from './prediction-log';
import { createServer } from './server';

export interface RunningServer {
  url: string;
  /** host:port of the gRPC endpoint (Open Inference Protocol). */
  grpc: string;
  host: ModelHost;
  server: http.Server;
  close: () => Promise<void>;
}

/** Days of prediction log kept (MLOPS_LOG_RETENTION_DAYS, default 30). */
export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.MLOPS_LOG_RETENTION_DAYS ?? '30';
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`MLOPS_LOG_RETENTION_DAYS=${JSON.stringify(v)} must be a whole number of days ≥ 1`);
  return Number(v);
}

/**
 * Starts the model server: REST (V1 and V2) on `address` (default MLOPS_SERVE_ADDRESS), gRPC on `grpcAddress`.
 * Without a grpcAddress, gRPC takes MLOPS_GRPC_ADDRESS, or, when an explicit REST address was given (a server
 * beside the stack's: tests, benchmarks), a free port on the same host, so two servers never fight over it.
 */
export async function startServing(
  config: Config,
  opts: { alias?: string; address?: string; grpcAddress?: string; log?: (line: string) => void } = {},
): Promise<RunningServer> {
  requireCredentials(config);
  const say = opts.log ?? (() => undefined);
  const stores = openStores(config);
  const host = new ModelHost(stores, opts.alias ?? 'production');
  await host.loadAll();
  for (const m of host.list()) say(`serving ${m.name} v${m.version}`);
  // A load that fails (object store or database briefly away) is retried until it succeeds or a later move
  // supersedes it; meanwhile the previous version keeps serving, and the deploy keeps waiting for the new one.
  let closed = false;
  const wanted = new Map<string, number | null>();
  const load = (model: string, to: number | null, attempt = 0): void => {
    wanted.set(model, to);
    host.load(model, to).then(
      (m) => say(m ? `loaded ${m.name} v${m.version}` : `unloaded ${model}`),
      (err: unknown) => {
        const retryMs = Math.min(5_000, 500 * 2 ** attempt);
        say(`could not load ${model} v${to}: ${(err as Error).message}; retrying in ${retryMs / 1000} s`);
        setTimeout(() => !closed && wanted.get(model) === to && load(model, to, attempt + 1), retryMs).unref();
      },
    );
  };
  const stopListening = await listenAliasChanges(
    config.databaseUrl,
    stores.schema,
    (n) => {
      if (n.alias === CHALLENGER) {
        host.loadChallenger(n.model, n.to).then(
          (c) => say(c ? `challenger ${n.model} v${c.model.version} (${c.route.strategy}, share ${c.route.share})` : `no challenger for ${n.model}`),
          (err: unknown) => say(`could not load challenger ${n.model} v${n.to}: ${(err as Error).message}`),
        );
        return;
      }
      if (n.alias !== host.alias) return;
      load(n.model, n.to);
    },
    {
      // Postgres restarted: alias moves made while the listener was away sent it nothing, so re-read them all.
      onReconnect: () => {
        host.loadAll().then(
          () =>
            say(
              `alias listener reconnected; serving ${
                host
                  .list()
                  .map((m) => `${m.name} v${m.version}`)
                  .join(', ') || 'nothing'
              }`,
            ),
          (err: unknown) => say(`alias listener reconnected, but reloading failed: ${(err as Error).message}`),
        );
      },
    },
  );
  // A salt only this deployment knows, so hashed protected attributes cannot be reversed by lookup tables.
  const salt = createHash('sha256').update(`mlops-log-salt:${config.s3.secretKey}`).digest('hex');
  const auth = await createAuthorizer(stores.pool, { log: say });
  const { server, log, inference } = createServer(host, stores.pool, { salt, registry: stores.schema, auth });
  // Day partitions ahead of time, old days dropped: now and every hour.
  const days = retentionDays();
  const housekeeping = async (): Promise<void> => {
    await ensurePartitions(stores.pool);
    const dropped = await dropOldPartitions(stores.pool, days);
    if (dropped.length) say(`dropped prediction log partitions ${dropped.join(', ')} (retention ${days} days)`);
  };
  await housekeeping();
  const timer = setInterval(() => void housekeeping().catch((err: Error) => say(`log housekeeping failed: ${err.message}`)), 3_600_000);
  timer.unref();
  const { host: bindHost, port } = parseHostPort(opts.address ?? config.serveAddress, 'MLOPS_SERVE_ADDRESS');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bindHost.replace(/^\[|\]$/g, ''), () => resolve());
  });
  const address = server.address();
  const url = `http://${bindHost}:${typeof address === 'object' && address ? address.port : port}`;
  const g =
    opts.grpcAddress === undefined && opts.address ? { host: bindHost, port: 0 } : parseHostPort(opts.grpcAddress ?? config.grpcAddress, 'MLOPS_GRPC_ADDRESS');
  const grpc = await startGrpc(inference, g.host, g.port, auth).catch(async (err: unknown) => {
    await new Promise<void>((r) => server.close(() => r()));
    throw err;
  });
  return {
    url,
    grpc: grpc.address,
    host,
    server,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await grpc.close();
      await new Promise<void>((r) => server.close(() => r()));
      await stopListening();
      await log.close();
      await host.close();
      await inference.versions.close();
      await stores.close();
    },
  };
}
