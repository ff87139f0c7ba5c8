// The web console (`mlops console`): read-only pages over the stores on MLOPS_CONSOLE_ADDRESS.
import path from 'node:path';
import type { Config } from '../../core/config';
import { projectRoot } from '../paths';
import { logFile, portOpen, recordedPid, splitHostPort, startDetached, waitHealthy } from '../processes';

/** Whether a console answers its health check (open even when tokens are required). */
export async function consoleHealthy(config: Config): Promise<boolean> {
  try {
    const res = await fetch(`http://${config.consoleAddress}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startConsoleProcess(config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const { home } = config;
  if (recordedPid(home, 'console', 'node') !== undefined || (await consoleHealthy(config))) return;
  const [host, port] = splitHostPort(config.consoleAddress);
  if (await portOpen(host, Number(port))) throw new Error(`console: port ${port} (MLOPS_CONSOLE_ADDRESS) is in use by another process`);
  const bin = path.join(projectRoot(), 'bin', 'mlops.js');
  const pid = startDetached(home, 'console', process.execPath, [bin, 'console'], { ...env, MLOPS_HOME: home });
  await waitHealthy('console', () => consoleHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'console') });
}
