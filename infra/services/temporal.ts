// The Temporal CLI dev server: persisted to $MLOPS_HOME/temporal, the search attributes registered at start.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../core/config';
import { logFile, portOpen, splitHostPort, startDetached, waitHealthy } from '../processes';

export const SEARCH_ATTRIBUTES = { MlopsModel: 'Keyword', MlopsLevel: 'Int', MlopsTrigger: 'Keyword' } as const;

export async function temporalHealthy(config: Config): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function startTemporal(config: Config, binary: string): Promise<void> {
  const { home } = config;
  const [host, portText] = splitHostPort(config.temporal.address);
  const port = Number(portText);
  if (await temporalHealthy(config)) return;
  if (await portOpen(host, port)) {
    throw new Error(`Temporal: port ${port} is in use by another process that is not a healthy Temporal server`);
  }
  mkdirSync(path.join(home, 'temporal'), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(port),
    '--ui-port', String(config.temporal.uiPort),
    '--db-filename', path.join(home, 'temporal', 'temporal.db'),
    '--namespace', config.temporal.namespace,
    '--log-level', 'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const pid = startDetached(home, 'temporal', binary, args, process.env);
  await waitHealthy('Temporal', () => temporalHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'temporal') });
}

