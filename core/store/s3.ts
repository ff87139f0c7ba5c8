// The one S3 client factory. S3-generic: any S3-compatible endpoint works, MinIO is the local default.
import { Client } from 'minio';
import { requireCredentials, type Config } from '../config';
import { describeError, isStaleConnectionError, s3RequestRetryable, STALE_RETRIES, stderrLog, type StaleLog } from './stale-connections';

export function createS3Client(config: Config, opts: { log?: StaleLog } = {}): Client {
  requireCredentials(config);
  const url = new URL(config.s3.endpoint);
  const useSSL = url.protocol === 'https:';
  const client = new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: config.s3.accessKey,
    secretKey: config.s3.secretKey,
    pathStyle: true,
    region: 'us-east-1',
    // The client hashes each part of a multipart upload in one synchronous call: 8 MiB parts keep that to
    // tens of milliseconds (the 64 MiB default held the event loop for over half a second).
    partSize: 8 * 1024 * 1024,
  });
  retryStaleRequests(client, opts.log ?? stderrLog);
  return client;
}

/**
 * Every request of the minio client goes through makeRequestStreamAsync; an idempotent one with a replayable
 * body that fails on a stale keep-alive socket is sent again (signed anew) on another connection.
 */
function retryStaleRequests(client: Client, log: StaleLog): void {
  const send = client.makeRequestStreamAsync.bind(client);
  client.makeRequestStreamAsync = async (options, body, sha256sum, statusCodes, region) => {
    for (let retry = 1; ; retry++) {
      try {
        return await send(options, body, sha256sum, statusCodes, region);
      } catch (err) {
        if (retry > STALE_RETRIES || !isStaleConnectionError(err) || !s3RequestRetryable(options.method, body)) throw err;
        const what = [options.bucketName, options.objectName].filter(Boolean).join('/');
        log(`s3 ${options.method ?? 'GET'} ${what}: ${describeError(err)} on a stale connection; retrying (${retry}/${STALE_RETRIES})`);
      }
    }
  };
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
