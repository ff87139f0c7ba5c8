// Local credentials: generated once by `mlops up` into $MLOPS_HOME/local.env (mode 0600) and read by every
// command when the variables are unset.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { CONFIG_DEFAULTS, loadConfig, localEnvPath, mlopsHome, type Config } from '../core/config';

/** Writes random local credentials once (mode 0600) and returns the config that reads them. */
export function ensureLocalEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const home = mlopsHome(env);
  mkdirSync(home, { recursive: true });
  const file = localEnvPath(home);
  if (!existsSync(file)) {
    const port = env.MLOPS_PG_PORT || CONFIG_DEFAULTS.MLOPS_PG_PORT;
    const text = [
      "# Local credentials for this machine's stack, generated once by `mlops up`. Keep this file private.",
      `MLOPS_S3_ACCESS_KEY=mlops${randomBytes(6).toString('hex')}`,
      `MLOPS_S3_SECRET_KEY=${randomBytes(24).toString('hex')}`,
      `MLOPS_DATABASE_URL=postgres://mlops:${randomBytes(24).toString('hex')}@127.0.0.1:${port}/mlops`,
      '',
    ].join('\n');
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  }
  if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  return loadConfig(env);
}
