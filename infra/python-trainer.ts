// The reference Python trainer (trainers/python): a virtualenv built once per requirements file under
// $MLOPS_HOME (keyed by the file's hash, so the second start reuses it), and the worker process started from it.
// `mlops trainer python`, `mlops up` with MLOPS_TRAINERS=python and the integration tests all come here.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config';
import { run, type Log } from './install';
import { projectRoot } from './paths';

/** The task queue the reference trainer polls unless told otherwise. */
export const PYTHON_TRAINER_QUEUE = 'mlops-trainer-python';

export function pythonTrainerDir(): string {
  return path.join(projectRoot(), 'trainers', 'python');
}

/** True when `mlops up` should start the Python trainer too (MLOPS_TRAINERS=python, a comma-separated list). */
export function wantsPythonTrainer(env: NodeJS.ProcessEnv): boolean {
  return (env.MLOPS_TRAINERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('python');
}

/** The venv's python, building the venv first when no complete one exists for these requirements. */
export async function ensureTrainerVenv(home: string, log: Log = () => undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const requirements = path.join(pythonTrainerDir(), 'requirements.txt');
  const key = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 16);
  const dir = path.join(home, 'trainers', `python-${key}`);
  const python = path.join(dir, 'bin', 'python');
  if (existsSync(path.join(dir, '.complete'))) return python;
  // Built beside its final place and renamed when complete: an interrupted build is never mistaken for one.
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const interpreter = env.MLOPS_PYTHON ?? 'python3';
  log(`trainer venv: creating ${dir} with ${interpreter} (pip install -r ${requirements})`);
  const started = Date.now();
  try {
    await run(interpreter, ['-m', 'venv', building], { env });
    await run(path.join(building, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', '-r', requirements], { env });
    writeFileSync(path.join(building, '.complete'), `${new Date().toISOString()}\n`);
    if (existsSync(path.join(dir, '.complete'))) rmSync(building, { recursive: true, force: true });
    else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
    }
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`could not build the Python trainer's venv: ${(err as Error).message}`);
  }
  log(`trainer venv: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return python;
}

/** The trainer's environment: where Temporal is, and the storage credentials (never sent in its input). */
export function trainerEnv(config: Config, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    MLOPS_S3_ACCESS_KEY: config.s3.accessKey,
    MLOPS_S3_SECRET_KEY: config.s3.secretKey,
    PYTHONPATH: [pythonTrainerDir(), env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
  };
}

/**
 * Starts the trainer worker: the reference trainer (`python -m mlops_trainer`), or `script` — a trainer of
 * one's own built on the same package — run by the same venv.
 */
export async function startPythonTrainer(
  config: Config,
  opts: { taskQueue?: string; script?: string; log?: Log; stdio?: StdioOptions; detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildProcess> {
  const python = await ensureTrainerVenv(config.home, opts.log, opts.env);
  const args = [...(opts.script ? [opts.script] : ['-m', 'mlops_trainer']), '--task-queue', opts.taskQueue ?? PYTHON_TRAINER_QUEUE];
  return spawn(python, args, { env: trainerEnv(config, opts.env), stdio: opts.stdio ?? 'inherit', detached: opts.detached ?? false });
}
