// MinIO: one server on loopback with this home's credentials, and the bucket the project writes to.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { localEnvPath, type Config } from '../../core/config';
import { createS3Client, ensureBucket } from '../../core/store/s3';
import { httpOk, logFile, portOpen, startDetached, waitHealthy } from '../processes';

export function minioHealthy(config: Config): Promise<boolean> {
  return httpOk(`${config.s3.endpoint}/minio/health/live`);
}

export async function startMinio(config: Config, binary: string): Promise<void> {
  const { home } = config;
  const url = new URL(config.s3.endpoint);
  const port = Number(url.port || 80);
  if (!(await minioHealthy(config))) {
    if (await portOpen(url.hostname, port)) {
      throw new Error(`MinIO: port ${port} is in use by another process that is not a healthy MinIO`);
    }
    const dataDir = path.join(home, 'minio');
    mkdirSync(dataDir, { recursive: true });
    const env = {
      ...process.env,
      MINIO_ROOT_USER: config.s3.accessKey,
      MINIO_ROOT_PASSWORD: config.s3.secretKey,
      MINIO_UPDATE: 'off',
      MINIO_BROWSER: 'on',
    };
    const args = ['server', dataDir, '--address', `${url.hostname}:${port}`, '--console-address', `${url.hostname}:${port + 1}`, '--quiet'];
    const pid = startDetached(home, 'minio', binary, args, env);
    await waitHealthy('MinIO', () => minioHealthy(config), { timeoutMs: 60_000, pid, log: logFile(home, 'minio') });
  }
  await ensureBucket(createS3Client(config), config.s3.bucket).catch((err: { code?: string; message?: string }) => {
    if (!/InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(err.code ?? '') && !/credentials/i.test(err.message ?? '')) throw err;
    throw new Error(
      `the MinIO at ${config.s3.endpoint} refuses this home's credentials (${localEnvPath(home)}): another stack (another checkout's \`mlops up\`) is using port ${port}; run \`mlops down\` there, or set MLOPS_S3_ENDPOINT to another port`,
    );
  });
}

/** The MinIO console's URL: the port after the API's. */
export function minioConsoleUrl(config: Config): string {
  const url = new URL(config.s3.endpoint);
  return `${url.protocol}//${url.hostname}:${Number(url.port || 80) + 1}`;
}
