// MLOPS_TRAINERS=python: the reference Python trainer, detached like the worker (its venv built on first use).
import type { Config } from '../../core/config';
import type { Log } from '../install';
import { recordedPid, startDetached } from '../processes';
import { ensureTrainerVenv, PYTHON_TRAINER_QUEUE, trainerEnv } from '../python-trainer';

export async function startTrainerProcess(config: Config, log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  if (recordedPid(config.home, 'trainer-python', 'python') !== undefined) return;
  const python = await ensureTrainerVenv(config.home, log, env);
  const args = ['-m', 'mlops_trainer', '--task-queue', env.MLOPS_TRAINER_TASK_QUEUE ?? PYTHON_TRAINER_QUEUE];
  startDetached(config.home, 'trainer-python', python, args, trainerEnv(config, env));
}
