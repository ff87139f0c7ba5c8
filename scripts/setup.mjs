#!/usr/bin/env node
// What `mlops` needs on a fresh clone before its first command: npm dependencies when they are missing or
// stale, then the TypeScript build. `npm test` and `npm run demo` run it first; it is quick when nothing changed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Runs one titled step with its output shown; true when it succeeded. */
export function step(title, cmd, args, opts = {}) {
  const started = Date.now();
  console.log(`\n=== ${title}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${title}: ${res.status === 0 ? 'ok' : `failed (exit ${res.status ?? res.signal})`} in ${secs} s`);
  return res.status === 0;
}

function stale() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
}

/** npm ci when needed, else the build; false when a step failed. */
export function setup() {
  // onnxruntime-node's postinstall would download GPU binaries (and fail offline): .npmrc says skip, and so
  // does the environment, which keeps working once npm stops passing unknown .npmrc keys to install scripts.
  const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  // npm ci builds too (the prepare script).
  if (stale()) return step('install npm dependencies and build (npm ci)', 'npm', ['ci'], { env: npmEnv });
  return step('build (tsc)', 'npm', ['run', '--silent', 'build']);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(setup() ? 0 : 1);
