import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseEnvFile, parseHostPort, parsePipelineUnitTests, requireCredentials } from '../../core/config';

const base = { MLOPS_HOME: '/nonexistent/mlops-home' };

describe('config', () => {
  it('uses the local defaults when nothing is set', () => {
    const c = loadConfig(base);
    expect(c.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', uiPort: 8233, uiUrl: 'http://127.0.0.1:8233' });
    expect(c.taskQueue).toBe('mlops');
    expect(c.s3.endpoint).toBe('http://127.0.0.1:9000');
    expect(c.s3.bucket).toBe('mlops');
    expect(c.serveAddress).toBe('127.0.0.1:8080');
    expect(c.grpcAddress).toBe('127.0.0.1:8081');
    expect(c.postgresPort).toBe(5433);
  });

  it('takes the Temporal UI URL a browser reaches (compose: the host port, not the service name)', () => {
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal:7233', MLOPS_TEMPORAL_UI: 'http://127.0.0.1:8233/' }).temporal.uiUrl).toBe(
      'http://127.0.0.1:8233',
    );
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.uiUrl).toBe('http://temporal:8233');
    expect(() => loadConfig({ ...base, MLOPS_TEMPORAL_UI: 'javascript:alert(1)' })).toThrow(/MLOPS_TEMPORAL_UI/);
  });

  it('takes the Postgres port from the database URL', () => {
    expect(loadConfig({ ...base, MLOPS_DATABASE_URL: 'postgres://u:p@127.0.0.1:6543/x' }).postgresPort).toBe(6543);
  });

  it('rejects a malformed endpoint, address or bucket naming the variable', () => {
    expect(() => loadConfig({ ...base, MLOPS_S3_ENDPOINT: 'not a url' })).toThrow(/MLOPS_S3_ENDPOINT/);
    expect(() => loadConfig({ ...base, MLOPS_S3_ENDPOINT: 'ftp://x' })).toThrow(/http/);
    expect(() => loadConfig({ ...base, TEMPORAL_ADDRESS: 'localhost' })).toThrow(/TEMPORAL_ADDRESS/);
    expect(() => loadConfig({ ...base, MLOPS_SERVE_ADDRESS: 'x:99999' })).toThrow(/MLOPS_SERVE_ADDRESS/);
    expect(() => loadConfig({ ...base, MLOPS_GRPC_ADDRESS: '8081' })).toThrow(/MLOPS_GRPC_ADDRESS/);
    expect(() => loadConfig({ ...base, MLOPS_S3_BUCKET: 'Bad_Bucket' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, MLOPS_DATABASE_URL: 'mysql://x' })).toThrow(/postgres/);
  });

  it('parses env files and names the bad line', () => {
    expect(parseEnvFile('# c\n\nA_B=1=2\n', 'f')).toEqual({ A_B: '1=2' });
    expect(() => parseEnvFile('A=1\nlower=2\n', 'local.env')).toThrow('local.env:2');
  });

  it('parses host:port', () => {
    expect(parseHostPort('[::1]:80', 'X')).toEqual({ host: '[::1]', port: 80 });
    expect(() => parseHostPort('host:0', 'X')).toThrow(/X=/);
  });

  it('gates pipeline versions with the whole unit suite unless MLOPS_PIPELINE_UNIT_TESTS narrows it', () => {
    expect(loadConfig(base).pipelineUnitTests).toEqual(['test/unit']);
    expect(loadConfig({ ...base, MLOPS_PIPELINE_UNIT_TESTS: '' }).pipelineUnitTests).toEqual(['test/unit']);
    expect(loadConfig({ ...base, MLOPS_PIPELINE_UNIT_TESTS: ' test/unit/spec.test.ts,test/unit/stats  test/unit/config.test.ts ' }).pipelineUnitTests).toEqual([
      'test/unit/spec.test.ts',
      'test/unit/stats',
      'test/unit/config.test.ts',
    ]);
    expect(parsePipelineUnitTests('a.test.ts , ./b_2/c-d.test.ts a.test.ts')).toEqual(['a.test.ts', './b_2/c-d.test.ts']);
  });

  it('keeps 4 GiB of s3:// input copies unless MLOPS_SOURCE_CACHE_MB says otherwise, and refuses what is not megabytes', () => {
    expect(loadConfig(base).sourceCacheBytes).toBe(4096 * 2 ** 20);
    expect(loadConfig({ ...base, MLOPS_SOURCE_CACHE_MB: '0' }).sourceCacheBytes).toBe(0);
    expect(loadConfig({ ...base, MLOPS_SOURCE_CACHE_MB: '512' }).sourceCacheBytes).toBe(512 * 2 ** 20);
    for (const value of ['-1', '1.5', '4GB', '12345678'])
      expect(() => loadConfig({ ...base, MLOPS_SOURCE_CACHE_MB: value })).toThrow(
        `MLOPS_SOURCE_CACHE_MB=${JSON.stringify(value)} is not a whole number of megabytes`,
      );
  });

  it('refuses MLOPS_PIPELINE_UNIT_TESTS entries that are empty, absolute, leave the repo or could read as options, naming the entry', () => {
    const bad = (value: string, entry: string, why: string): void => {
      expect(() => parsePipelineUnitTests(value)).toThrow(`MLOPS_PIPELINE_UNIT_TESTS=${JSON.stringify(value)}: entry ${JSON.stringify(entry)} ${why}`);
    };
    expect(() => loadConfig({ ...base, MLOPS_PIPELINE_UNIT_TESTS: '/abs' })).toThrow(ConfigError);
    bad('test/unit,,test/stats', '', 'is empty');
    bad('test/unit,', '', 'is empty');
    bad('/etc/passwd', '/etc/passwd', 'is absolute');
    bad('test/unit ../other/test', '../other/test', 'leaves the pipeline repo');
    bad('test/unit/../../x', 'test/unit/../../x', 'leaves the pipeline repo');
    bad('--reporter=verbose', '--reporter=verbose', 'may hold only letters, digits');
    bad('test/unit -t', '-t', 'starts with -');
    bad('test/unit;rm', 'test/unit;rm', 'may hold only letters, digits');
    bad('test/*.ts', 'test/*.ts', 'may hold only letters, digits');
  });

  it('tells the user to run mlops up when credentials are missing', () => {
    expect(() => requireCredentials(loadConfig(base))).toThrow(/mlops up/);
  });
});
