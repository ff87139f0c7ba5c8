// The code version recorded with every execution: the build id a worker runs (MLOPS_BUILD_ID, set by
// deployments and level-2 promotion), else the package version plus the git commit of the checkout.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function codeVersion(): string {
  if (cached) return cached;
  if (process.env.MLOPS_BUILD_ID) return (cached = process.env.MLOPS_BUILD_ID);
  let dir = __dirname;
  while (!safeExists(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    /* not a git checkout (e.g. a container image): the package version alone */
  }
  return (cached = `${version}+${commit}`);
}

function safeExists(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}
