// Each integration test file gets a Postgres schema and an S3 prefix of its own on the shared stack,
// migrated with the product's own migrations and dropped afterwards.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../core/config';
import { openStores, type Stores } from '../../core/store';
import { migrate } from '../../infra/migrate';

export async function isolatedStores(label: string): Promise<Stores & { drop: () => Promise<void> }> {
  const id = `${label}_${randomBytes(4).toString('hex')}`;
  const stores = openStores(loadConfig(), { schema: `t_${id}`, prefix: `test/${id}` });
  await migrate(stores.pool, stores.schema);
  return {
    ...stores,
    drop: async () => {
      for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
      await stores.pool.query(`DROP SCHEMA ${stores.schema} CASCADE`);
      await stores.close();
    },
  };
}
