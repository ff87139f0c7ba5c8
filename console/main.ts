// Starts the console: the stores (read only), a Temporal client for A/B histories, the serving tokens, and
// the HTTP server on MLOPS_CONSOLE_ADDRESS (loopback by default).
import { Client, Connection } from '@temporalio/client';
import type http from 'node:http';
import { parseHostPort, requireCredentials, type Config } from '../core/config';
import { openStores } from '../core/store';
import { liveTokens } from '../serving/auth';
import { jsonCache, type ConsoleContext } from './context';
import { createConsoleServer } from './server';
import { temporalUiBase } from './temporal';

export interface RunningConsole {
  url: string;
  server: http.Server;
  close: () => Promise<void>;
}

export async function startConsole(config: Config, opts: { address?: string; log?: (line: string) => void } = {}): Promise<RunningConsole> {
  requireCredentials(config);
  const say = opts.log ?? (() => undefined);
  const stores = openStores(config);
  let connection: Connection | null = null;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5_000 });
  } catch (err) {
    say(`console: Temporal at ${config.temporal.address} is not reachable (${(err as Error).message}); A/B tests will not be shown`);
  }
  const ctx: ConsoleContext = {
    stores,
    temporal: connection ? new Client({ connection, namespace: config.temporal.namespace }) : null,
    temporalUi: temporalUiBase(config),
    readJson: jsonCache((uri, sha256) => stores.artifacts.getBuffer(stores.artifacts.keyOf(uri), sha256)),
  };
  const tokens = await liveTokens(stores.pool, { log: say });
  const server = createConsoleServer(ctx, { tokens, log: say });
  const { host, port } = parseHostPort(opts.address ?? config.consoleAddress, 'MLOPS_CONSOLE_ADDRESS');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const url = `http://${host}:${typeof bound === 'object' && bound ? bound.port : port}`;
  return {
    url,
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await connection?.close();
      await stores.close();
    },
  };
}
