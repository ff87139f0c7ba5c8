// Level 2 builds: a git ref of the pipeline repository checked out in a worktree of its own under
// $MLOPS_HOME/pipelines/<sha>, its dependencies installed (hard links to this checkout's node_modules when
// the lockfile is the same, else `npm ci --offline` from the local npm cache), compiled and type-checked;
// then its unit tests. Every step is a child process with its output kept for the report.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './paths';

export class BuildError extends Error {
  override name = 'BuildError';
}

export interface StepOutput {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). A command this
 * worker does not have, or a missing directory, is a BuildError that says so (not an exit code to misread).
 */
export function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onTick?: () => void },
): Promise<StepOutput> {
  const started = Date.now();
  const tick = opts.onTick ? setInterval(opts.onTick, 5_000) : undefined;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 20 * 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (tick) clearInterval(tick);
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new BuildError(
              existsSync(opts.cwd)
                ? `${command} is not installed on worker ${process.pid}@${os.hostname()} (not on its PATH): level 2 builds need git, node and npm`
                : `${opts.cwd} does not exist on worker ${process.pid}@${os.hostname()}`,
            ),
          );
          return;
        }
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** A git ref as a user may give it: refused when it could be read as an option or a path escape. */
export function assertRef(ref: string): string {
  if (typeof ref !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/@^~-]{0,199}$/.test(ref) || ref.includes('..')) {
    throw new BuildError(`git ref ${JSON.stringify(ref)} is not a branch, tag or commit name (letters, digits, . _ / - @ ^ ~; no "..")`);
  }
  return ref;
}

export function pipelineRepo(configured: string | null): string {
  return configured ?? projectRoot();
}

/** The commit a ref names in the repository. */
export async function resolveRef(repo: string, ref: string): Promise<string> {
  const out = await run('git', ['rev-parse', '--verify', '--quiet', `${assertRef(ref)}^{commit}`], { cwd: repo });
  const sha = out.stdout.trim();
  if (out.code !== 0 || !/^[0-9a-f]{40}$/.test(sha)) throw new BuildError(`${ref} is not a commit of the repository ${repo}`);
  return sha;
}

export function worktreeDir(home: string, sha: string): string {
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new BuildError(`${JSON.stringify(sha)} is not a commit sha`);
  return path.join(home, 'pipelines', sha);
}

const BUILT = '.mlops-built';

/** True when `dir` holds a finished build of `sha`. */
export function isBuilt(dir: string, sha: string): boolean {
  try {
    return readFileSync(path.join(dir, BUILT), 'utf8').trim() === sha;
  } catch {
    return false;
  }
}

/** tsc's record of what it checked and emitted, kept with a build to seed the next one. */
const BUILD_INFO = '.mlops-tsbuildinfo';

/** The most recently finished build in the pipelines dir other than `sha`'s, with its tsc record. */
function newestBuild(home: string, sha: string): string | null {
  const pipelines = path.join(home, 'pipelines');
  let best: { dir: string; at: number } | null = null;
  for (const name of existsSync(pipelines) ? readdirSync(pipelines) : []) {
    const dir = path.join(pipelines, name);
    if (name === sha || !isBuilt(dir, name) || !existsSync(path.join(dir, BUILD_INFO))) continue;
    const at = statSync(path.join(dir, BUILT)).mtimeMs;
    if (!best || at > best.at) best = { dir, at };
  }
  return best?.dir ?? null;
}

/**
 * Seeds an incremental compile of `dir` with `seed`'s tsc record and the outputs of the sources `dir` still
 * has (a deleted source's output is not carried over). Copies, never links: tsc rewrites outputs in place.
 */
function seedFrom(seed: string, dir: string): void {
  const copy = (rel: string): void => {
    for (const entry of readdirSync(path.join(seed, 'dist', rel), { withFileTypes: true })) {
      const file = path.join(rel, entry.name);
      if (entry.isDirectory()) copy(file);
      else if (existsSync(path.join(dir, file.replace(/\.js(\.map)?$/, '.ts')))) cpSync(path.join(seed, 'dist', file), path.join(dir, 'dist', file));
    }
  };
  copy('');
  cpSync(path.join(seed, BUILD_INFO), path.join(dir, BUILD_INFO));
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Checks out, installs, compiles and type-checks `sha`; reuses a finished build. */
export async function buildWorktree(
  repo: string,
  home: string,
  sha: string,
  progress: (message: string) => void,
): Promise<{ dir: string; reused: boolean; ms: number; seededFrom: string | null }> {
  const started = Date.now();
  const dir = worktreeDir(home, sha);
  if (isBuilt(dir, sha)) return { dir, reused: true, ms: 0, seededFrom: null };
  if (existsSync(dir)) {
    await run('git', ['worktree', 'remove', '--force', dir], { cwd: repo });
    rmSync(dir, { recursive: true, force: true });
  }
  await run('git', ['worktree', 'prune'], { cwd: repo });
  const add = await run('git', ['worktree', 'add', '--detach', dir, sha], { cwd: repo });
  if (add.code !== 0) throw new BuildError(`git worktree add ${sha}: ${tail(add.stderr, 5)}`);
  progress(`checked out ${sha.slice(0, 12)} in ${dir}`);

  const root = projectRoot();
  const sameLock =
    existsSync(path.join(root, 'node_modules')) &&
    (await readFile(path.join(dir, 'package-lock.json'), 'utf8').catch(() => '')) ===
      (await readFile(path.join(root, 'package-lock.json'), 'utf8').catch(() => '-'));
  const install = sameLock
    ? await run('cp', ['-al', path.join(root, 'node_modules'), path.join(dir, 'node_modules')], { cwd: dir, onTick: () => progress('linking node_modules') })
    : await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
        cwd: dir,
        env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
        onTick: () => progress('npm ci --offline'),
      });
  if (install.code !== 0) throw new BuildError(`installing dependencies of ${sha.slice(0, 12)} failed: ${tail(install.stderr || install.stdout, 10)}`);
  progress(`dependencies ${sameLock ? 'linked (same lockfile)' : 'installed from the npm cache'} in ${install.ms} ms`);

  // An incremental compile from the newest finished build: tsc checks and emits only the files whose text or
  // dependencies changed (a seed from another TypeScript version is ignored by tsc: a full compile).
  let seed = newestBuild(home, sha);
  if (seed) {
    try {
      seedFrom(seed, dir);
      progress(`incremental compile from the build of ${path.basename(seed).slice(0, 12)}`);
    } catch (err) {
      // A seed removed while it was copied: compile everything.
      rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
      rmSync(path.join(dir, BUILD_INFO), { force: true });
      progress(`full compile (the build of ${path.basename(seed).slice(0, 12)} could not be copied: ${(err as Error).message})`);
      seed = null;
    }
  }
  // One program typechecks the product and its tests and emits them (the tests' output is unused): a
  // compile and a separate typecheck would parse and check the product twice.
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = await run(process.execPath, [tsc, '-p', 'tsconfig.test.json', '--noEmit', 'false', '--incremental', '--tsBuildInfoFile', BUILD_INFO], {
    cwd: dir,
    onTick: () => progress('typecheck and compile'),
  });
  if (out.code !== 0) throw new BuildError(`typecheck of ${sha.slice(0, 12)} failed:\n${tail(out.stdout || out.stderr)}`);
  progress(`typecheck and compile passed in ${out.ms} ms`);
  writeFileSync(path.join(dir, BUILT), `${sha}\n`);
  return { dir, reused: false, ms: Date.now() - started, seededFrom: seed && path.basename(seed) };
}

export interface UnitTestReport {
  passed: number;
  failed: number;
  /** Names of the failing tests (file › test). */
  failures: string[];
  /** The vitest file filters that chose the tests (MLOPS_PIPELINE_UNIT_TESTS); absent in reports from before the setting. */
  filters?: string[];
  ms: number;
}

/** Runs the candidate's unit tests (no services needed) chosen by `filters`, with its own vitest. */
export async function runUnitTests(dir: string, filters: string[], progress: (message: string) => void): Promise<UnitTestReport> {
  const report = path.join(dir, '.mlops-unit.json');
  rmSync(report, { force: true });
  // --passWithNoTests: filters that match no file still write a report, and are refused below with their names.
  const out = await run(
    process.execPath,
    [path.join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...filters, '--passWithNoTests', '--reporter=json', `--outputFile=${report}`],
    {
      cwd: dir,
      env: { ...process.env, CI: '1' },
      onTick: () => progress('unit tests running'),
    },
  );
  if (!existsSync(report)) throw new BuildError(`the unit tests did not run: ${tail(out.stderr || out.stdout, 10)}`);
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  const failures = json.testResults.flatMap((f) => {
    const file = path.relative(dir, f.name);
    const failed = f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${file} › ${a.fullName}`);
    // A file that fails to load has no assertion results, only a message.
    return failed.length > 0 ? failed : f.status === 'failed' ? [`${file}: ${(f.message ?? 'failed to load').split('\n')[0]}`] : [];
  });
  // No test at all proves nothing about the candidate: a gate that ran nothing must not pass it.
  if (json.numPassedTests === 0 && failures.length === 0) {
    failures.push(`no unit test ran: MLOPS_PIPELINE_UNIT_TESTS (${filters.join(' ')}) matches no test file of this version, or only skipped tests`);
  }
  return { passed: json.numPassedTests, failed: Math.max(json.numFailedTests, failures.length), failures, filters, ms: out.ms };
}
