// The model server (`mlops serve`): HTTP on MLOPS_SERVE_ADDRESS, gRPC inference on MLOPS_GRPC_ADDRESS.
import path from 'node:path';
import type { Config } from '../../core/config';
import { projectRoot } from '../paths';
import { logFile, portOpen, recordedPid, splitHostPort, startDetached, waitHealthy } from '../processes';

export interface ServingInfo {
  registry: string;
  models: { name: string; version: number }[];
}

/** The model list the server reports, or undefined when no server answers. */
export async function servingInfo(config: Config): Promise<ServingInfo | undefined> {
  try {
    const res = await fetch(`http://${config.serveAddress}/v1/models`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as ServingInfo) : undefined;
  } catch {
    return undefined;
  }
}

export async function startServingProcess(config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const { home } = config;
  if (recordedPid(home, 'serving', 'node') !== undefined || (await servingInfo(config))) return;
  const [host, portText] = splitHostPort(config.serveAddress);
  if (await portOpen(host, Number(portText))) throw new Error(`model server: port ${portText} is in use by another process`);
  const [grpcHost, grpcPort] = splitHostPort(config.grpcAddress);
  if (await portOpen(grpcHost, Number(grpcPort))) throw new Error(`model server: the gRPC port ${grpcPort} (MLOPS_GRPC_ADDRESS) is in use by another process`);
  const bin = path.join(projectRoot(), 'bin', 'mlops.js');
  const pid = startDetached(home, 'serving', process.execPath, [bin, 'serve'], { ...env, MLOPS_HOME: home });
  await waitHealthy('model server', async () => (await servingInfo(config)) !== undefined, { timeoutMs: 60_000, pid, log: logFile(home, 'serving') });
}
