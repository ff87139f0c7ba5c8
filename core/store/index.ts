// Opens the stores for a config: one pool, one S3 client, shared by artifacts, lineage and registry.
import type { Client } from 'minio';
import type pg from 'pg';
import type { Config } from '../config';
import { ArtifactStore } from './artifacts';
import { createPool } from './db';
import { LineageStore } from './lineage';
import { PipelineVersions } from './pipelines';
import { ModelRegistry } from './registry';
import { SchemaStore } from './schemas';
import { createS3Client } from './s3';

export interface Stores {
  pool: pg.Pool;
  /** The S3 client behind the artifact store (also reads s3:// inputs from other buckets). */
  s3: Client;
  artifacts: ArtifactStore;
  lineage: LineageStore;
  registry: ModelRegistry;
  schemas: SchemaStore;
  pipelines: PipelineVersions;
  schema: string;
  /** The configuration the stores were opened with (a worker thread reopens them from it). */
  config: Config;
  close: () => Promise<void>;
}

export function openStores(config: Config, opts: { schema?: string; prefix?: string } = {}): Stores {
  const schema = opts.schema ?? config.dbSchema;
  const pool = createPool(config, { schema });
  const s3 = createS3Client(config);
  return {
    pool,
    s3,
    schema,
    config: { ...config, s3: { ...config.s3, prefix: opts.prefix ?? config.s3.prefix } },
    artifacts: new ArtifactStore(s3, config.s3.bucket, opts.prefix ?? config.s3.prefix),
    lineage: new LineageStore(pool),
    registry: new ModelRegistry(pool),
    schemas: new SchemaStore(pool),
    pipelines: new PipelineVersions(pool),
    close: () => pool.end(),
  };
}
