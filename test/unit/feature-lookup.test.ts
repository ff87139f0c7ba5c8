// The model server's online lookup for models trained with feature sets, against a recording fake of the
// online store's query (the real one runs in test/integration/feature-pipeline.test.ts).
import { describe, expect, it } from 'vitest';
import { withOnlineFeatures } from '../../serving/feature-lookup';
import type { ServedModel } from '../../serving/model-host';

const model = {
  name: 'churn',
  featureSets: [
    {
      name: 'spend',
      version: 2,
      entity: 'customer_id',
      fields: [
        ['avg_spend', 'avg_spend'],
        ['plan', 'plan'],
      ],
    },
    { name: 'visits', version: 1, entity: 'customer_id', fields: [['visits', 'visits__visits']] },
  ],
} as unknown as ServedModel;

function fakeDb(store: Record<string, Record<string, Record<string, unknown>>>) {
  const queries: { set: string; version: number; entities: string[] }[] = [];
  return {
    queries,
    query: async (q: { values: [string, number, string[]] }) => {
      const [set, version, entities] = q.values;
      queries.push({ set, version, entities });
      return { rows: entities.filter((e) => store[set]?.[e]).map((e) => ({ entity: e, event_time: new Date(0), feature_values: store[set]![e] })) };
    },
  } as never as { queries: typeof queries; query: never };
}

describe('online feature lookup', () => {
  it('fills absent set fields with one query per set, the trained version, request values winning', async () => {
    const db = fakeDb({ spend: { '7': { avg_spend: 12.5, plan: 'pro' }, '8': { avg_spend: 3, plan: null } }, visits: { '7': { visits: 4 } } });
    const instances = [
      { customer_id: 7, channel: 'web' },
      { customer_id: '8', channel: 'app', avg_spend: 99 },
      { customer_id: 'nobody', channel: 'web' },
      { channel: 'web', avg_spend: 1, plan: 'free', visits__visits: 2 },
    ];
    const { instances: filled, counts } = await withOnlineFeatures(db as never, model, instances);
    expect(filled).toEqual([
      { customer_id: 7, channel: 'web', avg_spend: 12.5, plan: 'pro', visits__visits: 4 },
      { customer_id: '8', channel: 'app', avg_spend: 99, plan: null, visits__visits: null },
      { customer_id: 'nobody', channel: 'web', avg_spend: null, plan: null, visits__visits: null },
      { channel: 'web', avg_spend: 1, plan: 'free', visits__visits: 2 },
    ]);
    expect(db.queries.map((q) => [q.set, q.version, q.entities])).toEqual([
      ['spend', 2, ['7', '8', 'nobody']],
      ['visits', 1, ['7', '8', 'nobody']],
    ]);
    expect(counts).toEqual({ hits: 3, misses: 3 });
    expect(instances[0]).toEqual({ customer_id: 7, channel: 'web' }); // the request's objects are not changed
  });

  it('asks nothing when every instance carries its features, or carries no entity key', async () => {
    const db = fakeDb({});
    const full = [{ customer_id: 7, avg_spend: 1, plan: 'a', visits__visits: 1 }, { avg_spend: 2 }];
    expect((await withOnlineFeatures(db as never, model, full)).instances).toEqual(full);
    expect((await withOnlineFeatures(db as never, model, 'not a list')).instances).toBe('not a list');
    expect(db.queries).toEqual([]);
  });
});
