// Configuration: environment variables with local defaults; `$MLOPS_HOME/local.env` (written by
// `mlops up`) fills in whatever the environment leaves unset. One parser for every command.
import { InvalidInput } from './errors';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  home: string;
  /** uiUrl: the Temporal UI as a browser reaches it, for links (MLOPS_TEMPORAL_UI; default http://<server host>:<port + 1000>). */
  temporal: { address: string; namespace: string; uiPort: number; uiUrl: string };
  taskQueue: string;
  s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string; prefix: string };
  databaseUrl: string;
  /** Postgres schema holding the lineage and registry tables. */
  dbSchema: string;
  serveAddress: string;
  /** The model server's gRPC endpoint (Open Inference Protocol), MLOPS_GRPC_ADDRESS. */
  grpcAddress: string;
  /** The read-only web console, MLOPS_CONSOLE_ADDRESS. */
  consoleAddress: string;
  /** Port of the local Postgres cluster `mlops up` manages: the database URL's, else MLOPS_PG_PORT. */
  postgresPort: number;
  /** Worker Deployment of the pipeline versions (level 2): build ids are git commits of `pipelineRepo`. */
  deployment: string;
  /** The git repository level 2 builds pipeline versions from (MLOPS_PIPELINE_REPO; default: this checkout). */
  pipelineRepo: string | null;
  /** The unit tests that gate a pipeline version (MLOPS_PIPELINE_UNIT_TESTS): vitest file filters, relative to the pipeline repo. */
  pipelineUnitTests: string[];
  /** Bytes of s3:// input copies a worker keeps between activities (MLOPS_SOURCE_CACHE_MB; 0 keeps none). */
  sourceCacheBytes: number;
}

export class ConfigError extends InvalidInput {
  override name = 'ConfigError';
  constructor(message: string) {
    super(message, 'request');
  }
}

export const CONFIG_DEFAULTS = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'default',
  MLOPS_TASK_QUEUE: 'mlops',
  MLOPS_S3_ENDPOINT: 'http://127.0.0.1:9000',
  MLOPS_S3_BUCKET: 'mlops',
  MLOPS_SERVE_ADDRESS: '127.0.0.1:8080',
  MLOPS_GRPC_ADDRESS: '127.0.0.1:8081',
  MLOPS_CONSOLE_ADDRESS: '127.0.0.1:8090',
  MLOPS_PG_PORT: '5433',
  MLOPS_DEPLOYMENT: 'temporal-mlops',
  MLOPS_PIPELINE_UNIT_TESTS: 'test/unit',
  MLOPS_SOURCE_CACHE_MB: '4096',
} as const;

/** Variables whose values are secrets: never printed, never logged. */
export const SECRET_VARIABLES = ['MLOPS_S3_ACCESS_KEY', 'MLOPS_S3_SECRET_KEY', 'MLOPS_DATABASE_URL'] as const;

export function mlopsHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MLOPS_HOME || '.mlops');
}

export function localEnvPath(home: string): string {
  return path.join(home, 'local.env');
}

/** Parses `KEY=VALUE` lines; blank lines and `#` comments are ignored. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    if (eq <= 0 || !/^[A-Z][A-Z0-9_]*$/.test(key)) {
      throw new ConfigError(`${file}:${i + 1}: expected KEY=VALUE with an upper-case KEY`);
    }
    out[key] = line.slice(eq + 1);
  });
  return out;
}

function readLocalEnv(home: string): Record<string, string> {
  const file = localEnvPath(home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return parseEnvFile(text, file);
}

/** host:port with a port in 1..65535. */
export function parseHostPort(value: string, name: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not HOST:PORT (for example 127.0.0.1:7233)`);
  }
  return { host: m[1]!, port };
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port < 1 || port > 65535) {
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not a port number (1-65535)`);
  }
  return port;
}

/**
 * MLOPS_PIPELINE_UNIT_TESTS: paths or path prefixes of test files in the pipeline repo, separated by spaces or
 * commas. They reach the candidate's vitest as arguments, so anything that could read as an option or leave
 * the checkout is refused.
 */
export function parsePipelineUnitTests(value: string, name = 'MLOPS_PIPELINE_UNIT_TESTS'): string[] {
  const entries = value.trim().split(/\s*,\s*|\s+/);
  for (const entry of entries) {
    const why =
      entry === ''
        ? 'is empty (two separators in a row, or one at an end)'
        : !/^[A-Za-z0-9._/-]+$/.test(entry)
          ? 'may hold only letters, digits and . _ / -'
          : entry.startsWith('/')
            ? 'is absolute (give a path relative to the pipeline repo)'
            : entry.split('/').includes('..')
              ? 'leaves the pipeline repo (..)'
              : entry.startsWith('-')
                ? 'starts with - (it would read as a vitest option)'
                : null;
    if (why)
      throw new ConfigError(`${name}=${JSON.stringify(value)}: entry ${JSON.stringify(entry)} ${why}; expected paths like test/unit or test/unit/spec.test.ts`);
  }
  return [...new Set(entries)];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = mlopsHome(env);
  const file = readLocalEnv(home);
  const get = (name: string, fallback?: string): string => {
    const v = env[name] || file[name] || fallback;
    return v ?? '';
  };
  const temporalAddress = get('TEMPORAL_ADDRESS', CONFIG_DEFAULTS.TEMPORAL_ADDRESS);
  const { host: temporalHost, port: temporalPort } = parseHostPort(temporalAddress, 'TEMPORAL_ADDRESS');
  const uiUrl = get('MLOPS_TEMPORAL_UI', `http://${temporalHost}:${temporalPort + 1000}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(uiUrl)) {
    throw new ConfigError(`MLOPS_TEMPORAL_UI=${JSON.stringify(uiUrl)} is not an http:// or https:// URL (for example http://127.0.0.1:8233)`);
  }
  const endpoint = get('MLOPS_S3_ENDPOINT', CONFIG_DEFAULTS.MLOPS_S3_ENDPOINT);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`MLOPS_S3_ENDPOINT=${JSON.stringify(endpoint)} is not a URL (for example http://127.0.0.1:9000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`MLOPS_S3_ENDPOINT must be an http:// or https:// URL, got ${url.protocol}`);
  }
  const bucket = get('MLOPS_S3_BUCKET', CONFIG_DEFAULTS.MLOPS_S3_BUCKET);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`MLOPS_S3_BUCKET=${JSON.stringify(bucket)} is not a valid bucket name (3-63 of a-z 0-9 . -)`);
  }
  const prefix = get('MLOPS_S3_PREFIX', '');
  if (prefix !== '' && !/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/.test(prefix)) {
    throw new ConfigError(`MLOPS_S3_PREFIX=${JSON.stringify(prefix)} must be path segments of a-z 0-9 . _ - (no leading or trailing /)`);
  }
  const dbSchema = get('MLOPS_DB_SCHEMA', 'mlops');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbSchema)) {
    throw new ConfigError(`MLOPS_DB_SCHEMA=${JSON.stringify(dbSchema)} is not a lower-case SQL identifier`);
  }
  const serveAddress = get('MLOPS_SERVE_ADDRESS', CONFIG_DEFAULTS.MLOPS_SERVE_ADDRESS);
  parseHostPort(serveAddress, 'MLOPS_SERVE_ADDRESS');
  const grpcAddress = get('MLOPS_GRPC_ADDRESS', CONFIG_DEFAULTS.MLOPS_GRPC_ADDRESS);
  parseHostPort(grpcAddress, 'MLOPS_GRPC_ADDRESS');
  const consoleAddress = get('MLOPS_CONSOLE_ADDRESS', CONFIG_DEFAULTS.MLOPS_CONSOLE_ADDRESS);
  parseHostPort(consoleAddress, 'MLOPS_CONSOLE_ADDRESS');
  const deployment = get('MLOPS_DEPLOYMENT', CONFIG_DEFAULTS.MLOPS_DEPLOYMENT);
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(deployment)) {
    throw new ConfigError(`MLOPS_DEPLOYMENT=${JSON.stringify(deployment)} must be 1-63 of a-z 0-9 _ - (it prefixes every build id)`);
  }
  const pipelineRepo = get('MLOPS_PIPELINE_REPO');
  const pipelineUnitTests = parsePipelineUnitTests(get('MLOPS_PIPELINE_UNIT_TESTS', CONFIG_DEFAULTS.MLOPS_PIPELINE_UNIT_TESTS));
  const cacheMb = get('MLOPS_SOURCE_CACHE_MB', CONFIG_DEFAULTS.MLOPS_SOURCE_CACHE_MB);
  if (!/^\d{1,7}$/.test(cacheMb))
    throw new ConfigError(`MLOPS_SOURCE_CACHE_MB=${JSON.stringify(cacheMb)} is not a whole number of megabytes (0 keeps no copies)`);
  const databaseUrl = get('MLOPS_DATABASE_URL');
  if (databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('MLOPS_DATABASE_URL must start with postgres:// or postgresql://');
  }
  return {
    home,
    temporal: {
      address: temporalAddress,
      namespace: get('TEMPORAL_NAMESPACE', CONFIG_DEFAULTS.TEMPORAL_NAMESPACE),
      uiPort: temporalPort + 1000,
      uiUrl,
    },
    taskQueue: get('MLOPS_TASK_QUEUE', CONFIG_DEFAULTS.MLOPS_TASK_QUEUE),
    s3: {
      endpoint: url.toString().replace(/\/$/, ''),
      accessKey: get('MLOPS_S3_ACCESS_KEY'),
      secretKey: get('MLOPS_S3_SECRET_KEY'),
      bucket,
      prefix,
    },
    databaseUrl,
    dbSchema,
    serveAddress,
    grpcAddress,
    consoleAddress,
    postgresPort: databaseUrl ? Number(new URL(databaseUrl).port || 5432) : parsePort(get('MLOPS_PG_PORT', CONFIG_DEFAULTS.MLOPS_PG_PORT), 'MLOPS_PG_PORT'),
    deployment,
    pipelineRepo: pipelineRepo ? path.resolve(pipelineRepo) : null,
    pipelineUnitTests,
    sourceCacheBytes: Number(cacheMb) * 2 ** 20,
  };
}

/** Fails with what to do when credentials are missing (before `mlops up` ran). */
export function requireCredentials(config: Config): void {
  const missing: string[] = [];
  if (!config.s3.accessKey) missing.push('MLOPS_S3_ACCESS_KEY');
  if (!config.s3.secretKey) missing.push('MLOPS_S3_SECRET_KEY');
  if (!config.databaseUrl) missing.push('MLOPS_DATABASE_URL');
  if (missing.length > 0) {
    throw new ConfigError(`${missing.join(', ')} not set and not in ${localEnvPath(config.home)}: run \`mlops up\` to create local credentials, or set them`);
  }
}
