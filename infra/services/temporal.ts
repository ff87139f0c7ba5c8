// The Temporal CLI dev server: persisted to $MLOPS_HOME/temporal, the search attributes registered at start.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../core/config';
import { SEARCH_ATTRIBUTES } from '../../workflows/contracts';
import { logFile, portOpen, splitHostPort, startDetached, waitHealthy } from '../processes';

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

/**
 * Server 1.29 dispatches by task priority and fairness key only with its new matcher and fairness switched on;
 * both are off by default, in the dev server too (core/priority.ts sets the keys). Ordering holds within a task
 * queue partition: the dev server is one process, so one partition per queue makes it exact there.
 */
export const TEMPORAL_DYNAMIC_CONFIG = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
} as const;

/** The dev server's arguments: persisted when `dbFile` is given, in memory otherwise. */
export function temporalDevArgs(o: { host: string; port: number; uiPort?: number; dbFile?: string; namespace?: string; headless?: boolean }): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    o.host,
    '--port',
    String(o.port),
    ...(o.headless ? ['--headless'] : ['--ui-port', String(o.uiPort ?? o.port + 1000)]),
    ...(o.dbFile ? ['--db-filename', o.dbFile] : []),
    '--namespace',
    o.namespace ?? 'default',
    '--log-level',
    'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...Object.entries(TEMPORAL_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
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
  const args = temporalDevArgs({
    host,
    port,
    uiPort: config.temporal.uiPort,
    dbFile: path.join(home, 'temporal', 'temporal.db'),
    namespace: config.temporal.namespace,
  });
  const pid = startDetached(home, 'temporal', binary, args, process.env);
  await waitHealthy('Temporal', () => temporalHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'temporal') });
}
