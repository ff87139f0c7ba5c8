// No Docker engine runs here, so the compose file is checked against the configuration contract.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, SECRET_VARIABLES } from '../../core/config';
import { SEARCH_ATTRIBUTES } from '../../workflows/contracts';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string | number>;
  command?: string[];
}
const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  it('describes the whole system', () => {
    expect(Object.keys(services).sort()).toEqual(['console', 'minio', 'postgres', 'serving', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
    expect(services.worker!.command).toEqual(['worker']);
    expect(services.serving!.command).toEqual(['serve']);
    expect(services.console!.command).toEqual(['console']);
    // One image for every process of the project.
    for (const name of ['worker', 'serving', 'console']) expect(services[name]!.image, name).toBe(services.worker!.image);
  });

  it('pins every image tag', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
  });

  it('publishes the contract ports on loopback only', () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:/);
    const hostPorts = published.map((p) => Number(p.split(':')[1])).sort((a, b) => a - b);
    expect(hostPorts).toEqual([5433, 7233, 8080, 8081, 8090, 8233, 9000, 9001]);
    expect(Number(CONFIG_DEFAULTS.TEMPORAL_ADDRESS.split(':')[1])).toBe(7233);
    expect(Number(new URL(CONFIG_DEFAULTS.MLOPS_S3_ENDPOINT).port)).toBe(9000);
    expect(Number(CONFIG_DEFAULTS.MLOPS_SERVE_ADDRESS.split(':')[1])).toBe(8080);
    expect(Number(CONFIG_DEFAULTS.MLOPS_CONSOLE_ADDRESS.split(':')[1])).toBe(8090);
  });

  it('gives the worker, the server and the console the same env-var contract, with secrets only from .env', () => {
    const contract = [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'MLOPS_TASK_QUEUE',
      'MLOPS_S3_ENDPOINT',
      'MLOPS_S3_ACCESS_KEY',
      'MLOPS_S3_SECRET_KEY',
      'MLOPS_S3_BUCKET',
      'MLOPS_DATABASE_URL',
      'MLOPS_HOME',
    ];
    for (const name of ['worker', 'serving', 'console']) {
      const env = services[name]!.environment!;
      for (const v of contract) expect(Object.keys(env), `${name} ${v}`).toContain(v);
      for (const secret of SECRET_VARIABLES) expect(String(env[secret])).toMatch(/\$\{MLOPS_[A-Z0-9_]+:\?/);
      expect(new URL(String(env.MLOPS_S3_ENDPOINT)).host).toBe('minio:9000');
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    expect(services.serving!.environment!.MLOPS_SERVE_ADDRESS).toBe('0.0.0.0:8080');
    expect(services.serving!.environment!.MLOPS_GRPC_ADDRESS).toBe('0.0.0.0:8081');
    // The console binds every interface inside its own container only, through its variable; the host sees loopback.
    expect(services.console!.environment!.MLOPS_CONSOLE_ADDRESS).toBe('0.0.0.0:8090');
    expect(services.console!.ports).toEqual(['127.0.0.1:8090:8090']);
    for (const name of ['worker', 'serving']) expect(Object.keys(services[name]!.environment!), name).not.toContain('MLOPS_CONSOLE_ADDRESS');
  });

  it('registers the search attributes pipelines use', () => {
    const cmd = services['temporal-setup']!.command!.join(' ');
    for (const [n, t] of Object.entries(SEARCH_ATTRIBUTES)) {
      expect(cmd).toContain(`--name ${n} --type ${t}`);
    }
  });
});

describe('docker-compose.yml scale-out', () => {
  it('scales workers with --scale worker=N and turns on task priority and fairness in the Temporal server', () => {
    const text = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
    expect(text).toContain('--scale worker=N');
    expect(services.worker!.ports ?? []).toEqual([]); // many replicas cannot share a host port
    const temporal = services.temporal as Service & { volumes?: string[] };
    const mount = temporal.volumes!.find((v) => v.endsWith(`:/etc/temporal/${temporal.environment!.DYNAMIC_CONFIG_FILE_PATH}:ro`))!;
    const file = parse(readFileSync(path.join(__dirname, '..', '..', mount.split(':')[0]!), 'utf8')) as Record<string, { value: unknown }[]>;
    expect(file['matching.useNewMatcher']).toEqual([{ value: true }]);
    expect(file['matching.enableFairness']).toEqual([{ value: true }]);
  });
});
