// Local stack benchmarks: building the binaries from nothing, and `mlops up` once installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureMinio, ensureTemporal, MINIO, TEMPORAL_CLI } from '../infra/install';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const versions = (): Record<string, string> => ({ temporal: TEMPORAL_CLI.version, minio: MINIO.version });

export const installCold: Benchmark = {
  name: 'install-cold',
  what:
    'Cold install of the stack binaries, as `mlops up` does it on a new machine: `go install` of the Temporal CLI and ' +
    'MinIO side by side into an empty binary cache and an empty Go build cache (the Go module cache stays warm: ' +
    'downloads depend on the network, not on this project).',
  unit: 's',
  target: 600,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 1),
  versions,
  run: async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-install-'));
    process.env.XDG_CACHE_HOME = path.join(scratch, 'cache');
    process.env.GOCACHE = path.join(scratch, 'gocache');
    try {
      const started = Date.now();
      await Promise.all([ensureTemporal(() => undefined), ensureMinio(() => undefined)]);
      return (Date.now() - started) / 1000;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};

export const upWarm: Benchmark = {
  name: 'up-warm',
  what: '`mlops up` when the stack is already installed and running (the idempotent no-op), as a user runs it.',
  unit: 's',
  target: 10,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  versions,
  run: async () => {
    const mlops = path.join(projectRoot(), 'bin', 'mlops.js');
    execFileSync(process.execPath, [mlops, 'up'], { stdio: 'ignore' }); // make sure it is running
    const started = Date.now();
    execFileSync(process.execPath, [mlops, 'up'], { stdio: 'ignore' });
    return (Date.now() - started) / 1000;
  },
};

export const upRestart: Benchmark = {
  name: 'up-restart',
  what: '`mlops up` after `mlops down` with the binaries installed: starting Temporal, MinIO and Postgres and waiting for health.',
  unit: 's',
  target: 10,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 5),
  versions,
  run: async () => {
    const mlops = path.join(projectRoot(), 'bin', 'mlops.js');
    execFileSync(process.execPath, [mlops, 'down'], { stdio: 'ignore' });
    const started = Date.now();
    execFileSync(process.execPath, [mlops, 'up'], { stdio: 'ignore' });
    return (Date.now() - started) / 1000;
  },
};
