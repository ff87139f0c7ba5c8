// `mlops trainer python [--task-queue Q]`: builds (once) the reference trainer's venv and runs its worker in the
// foreground; SIGINT/SIGTERM are passed on so the worker drains.
import { loadConfig, requireCredentials } from '../core/config';
import { PYTHON_TRAINER_QUEUE, startPythonTrainer } from '../infra/python-trainer';

export async function trainerPythonCommand(values: Record<string, unknown>): Promise<number> {
  const config = loadConfig();
  requireCredentials(config);
  const taskQueue = (values['task-queue'] as string | undefined) ?? process.env.MLOPS_TRAINER_TASK_QUEUE ?? PYTHON_TRAINER_QUEUE;
  const child = await startPythonTrainer(config, { taskQueue, log: (line) => console.error(line) });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 0 : 1))));
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return code;
}
