// The one S3 client factory. S3-generic: any S3-compatible endpoint works, MinIO is the local default.
import { Client } from 'minio';
import { requireCredentials, type Config } from '../config';

export function createS3Client(config: Config): Client {
  requireCredentials(config);
  const url = new URL(config.s3.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: config.s3.accessKey,
    secretKey: config.s3.secretKey,
    pathStyle: true,
    region: 'us-east-1',
  });
}

/** Creates the bucket when it is missing; true when it was created. */
export async function ensureBucket(client: Client, bucket: string): Promise<boolean> {
  if (await client.bucketExists(bucket)) return false;
  try {
    await client.makeBucket(bucket, 'us-east-1');
    return true;
  } catch (err) {
    // Another process may have created it between the check and the call.
    if ((err as { code?: string }).code === 'BucketAlreadyOwnedByYou') return false;
    throw err;
  }
}
