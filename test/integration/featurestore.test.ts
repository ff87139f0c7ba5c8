// The feature store against the real Postgres and MinIO: versioned feature sets, incremental materialization
// into the offline (Parquet) and online (Postgres) stores, point-in-time training sets, and the skew guard.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { literal, withDuckDB } from '../../core/data/duckdb';
import { coerce, deriveRow } from '../../core/features/derive';
import {
  applyFeatureSet,
  buildTrainingSet,
  getFeatureSet,
  getOnlineFeatures,
  listFeatureSets,
  materialize,
  resolveFeatureSet,
  storedValue,
  withSourceTable,
  writeOnlineFeatures,
  type FeatureValue,
} from '../../core/featurestore';
import { seededRandom } from '../../core/random';
import {
  featuresApplyCommand,
  featuresGetCommand,
  featuresListCommand,
  featuresMaterializeCommand,
  featuresTrainingSetCommand,
} from '../../starters/feature-commands';
import { UsageError } from '../../starters/usage-error';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-featurestore-'));

beforeAll(async () => {
  s = await isolatedStores('featurestore');
});
afterAll(async () => {
  await s?.drop();
  rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, string | number | null>;

function writeCsv(name: string, columns: string[], rows: Row[]): string {
  const file = path.join(dir, name);
  const cell = (v: Row[string]): string => (v === null ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  writeFileSync(file, `${columns.join(',')}\n${rows.map((r) => columns.map((c) => cell(r[c] ?? null)).join(',')).join('\n')}\n`);
  return file;
}

const day = (d: number, extraMs = 0): string => new Date(Date.UTC(2024, 0, 1) + d * 86_400_000 + extraMs).toISOString().replace('T', ' ').replace('Z', '');

/** The rows of a Parquet artifact as objects. */
async function readParquet(uri: string, sql = 'SELECT * FROM t'): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, `read-${Math.random().toString(36).slice(2)}.parquet`);
  await s.artifacts.getFile(s.artifacts.keyOf(uri), file);
  return withDuckDB(async (conn) => {
    await conn.run(`CREATE VIEW t AS SELECT * FROM read_parquet(${literal(file)})`);
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  });
}

describe('feature sets', () => {
  it('applies idempotently: the same definition keeps its version, a changed one gets the next', async () => {
    const def = { name: 'accounts', entity: 'id', timestamp: 'ts', source: { uri: path.join(dir, 'accounts.csv') }, columns: ['balance'] };
    const first = await applyFeatureSet(s, def);
    expect(first).toMatchObject({ created: true, set: { name: 'accounts', version: 1 } });
    const reordered = { columns: ['balance'], source: def.source, timestamp: 'ts', entity: 'id', name: 'accounts' };
    const again = await applyFeatureSet(s, reordered);
    expect(again.created).toBe(false);
    expect(again.set.version).toBe(1);
    expect(again.set.sha256).toBe(first.set.sha256);

    const changed = await applyFeatureSet(s, { ...def, features: { derive: [{ name: 'log_balance', op: 'log1p', input: 'balance' }] } });
    expect(changed).toMatchObject({ created: true, set: { version: 2 } });
    expect((await getFeatureSet(s.pool, 'accounts'))!.version).toBe(2);
    expect((await getFeatureSet(s.pool, 'accounts', 1))!.definition).toEqual({ ...def, columns: ['balance'] });
    expect(await getFeatureSet(s.pool, 'accounts', 3)).toBeUndefined();
    // Going back to the first definition is a new version: the latest is always what was applied last.
    expect((await applyFeatureSet(s, def)).set.version).toBe(3);

    const listed = (await listFeatureSets(s.pool)).filter((x) => x.name === 'accounts');
    expect(listed.map((x) => [x.version, x.watermark, x.parts])).toEqual([
      [1, null, 0],
      [2, null, 0],
      [3, null, 0],
    ]);
    const artifact = await s.lineage.artifactByUri(first.set.uri);
    expect(artifact).toMatchObject({ type: 'FeatureSet', sha256: first.set.sha256 });
    await expect(applyFeatureSet(s, { ...def, columns: ['id'] })).rejects.toThrow('feature set "accounts": columns[0] "id" is the entity column');
  });
});

describe('incremental materialization', () => {
  const columns = ['user', 'ts', 'spend', 'plan'];
  const base: Row[] = [
    { user: 1, ts: day(0), spend: 10, plan: 'free' },
    { user: 1, ts: day(2), spend: 12, plan: 'pro' },
    { user: 2, ts: day(1), spend: 5, plan: 'free' },
    { user: 3, ts: day(3), spend: 7.25, plan: null },
    { user: null, ts: day(3), spend: 1, plan: 'free' },
  ];
  const def = {
    name: 'spend',
    entity: 'user',
    timestamp: 'ts',
    source: { uri: path.join(dir, 'spend.csv') },
    columns: ['spend', 'plan'],
    features: {
      derive: [
        { name: 'spend_x2', op: 'weighted_sum', inputs: ['spend'], weights: [2] },
        { name: 'dow', op: 'day_of_week', input: 'ts' },
      ],
    },
  };

  it('writes new rows once, then only rows past the watermark; the online store keeps the latest value per entity', async () => {
    writeCsv('spend.csv', columns, base);
    const { set } = await applyFeatureSet(s, def);
    const messages: string[] = [];
    const first = await materialize(s, { name: 'spend' }, { onProgress: (m) => messages.push(m) });
    expect(first).toMatchObject({ version: 1, rows: 4, entities: 3, onlineWritten: 3, fromWatermark: null, watermark: '2024-01-04T00:00:00.000000Z' });
    expect(first.skipped).toEqual({ missingKey: 1, behindWatermark: 0, duplicates: 0 });
    expect(first.part!.uri).toMatch(/\/featuresets\/spend\/1\/parts\/[0-9a-f]{64}\.parquet$/);
    expect(messages.some((m) => m.startsWith('4 new rows'))).toBe(true);
    const part = await readParquet(first.part!.uri);
    expect(part.map((r) => [r.user, r.spend, r.plan, r.spend_x2])).toEqual([
      ['1', 10, 'free', 20],
      ['1', 12, 'pro', 24],
      ['2', 5, 'free', 10],
      ['3', 7.25, null, 14.5],
    ]);

    const online = await getOnlineFeatures(s.pool, set, ['1', '2', '3', '404']);
    expect([...online.keys()].sort()).toEqual(['1', '2', '3']);
    expect(online.get('1')).toEqual({ values: { spend: 12, plan: 'pro', spend_x2: 24, dow: 3 }, eventTime: new Date(Date.UTC(2024, 0, 3)) });
    expect(online.get('3')!.values.plan).toBeNull();

    const idle = await materialize(s, { name: 'spend' });
    expect(idle).toMatchObject({ rows: 0, part: null, watermark: first.watermark, fromWatermark: first.watermark });
    expect(idle.skipped.behindWatermark).toBe(4);
    const parts = await s.pool.query('SELECT count(*)::int AS n FROM feature_materializations WHERE set_name = $1', ['spend']);
    expect(parts.rows[0].n).toBe(1);

    // New rows past the watermark, a late row behind it, and a duplicate (same user and time: the later row wins).
    writeCsv('spend.csv', columns, [
      ...base,
      { user: 2, ts: day(5), spend: 50, plan: 'pro' },
      { user: 4, ts: day(4, 1), spend: 1, plan: 'free' },
      { user: 4, ts: day(4, 1), spend: 2, plan: 'team' },
      { user: 1, ts: day(1), spend: 999, plan: 'late' },
    ]);
    const next = await materialize(s, { name: 'spend' });
    expect(next).toMatchObject({ rows: 2, entities: 2, onlineWritten: 2, fromWatermark: first.watermark, watermark: '2024-01-06T00:00:00.000000Z' });
    expect(next.skipped).toEqual({ missingKey: 1, behindWatermark: 5, duplicates: 1 });
    const after = await getOnlineFeatures(s.pool, set, ['1', '2', '4']);
    expect(after.get('1')!.values.spend).toBe(12); // the late row never reaches the stores
    expect(after.get('2')!.values).toEqual({ spend: 50, plan: 'pro', spend_x2: 100, dow: 6 });
    expect(after.get('4')!.values).toMatchObject({ spend: 2, plan: 'team' });
    expect((await readParquet(next.part!.uri)).map((r) => r.user)).toEqual(['2', '4']);
    const lineage = await s.lineage.artifactByUri(next.part!.uri);
    expect(lineage).toMatchObject({ type: 'FeatureSetPart', properties: { name: 'spend', version: 1, rows: 2, toWatermark: next.watermark } });
  });

  it('never lets an older value overwrite a newer one in the online store', async () => {
    const set = { name: 'spend', version: 1 };
    const older = await writeOnlineFeatures(s.pool, set, { entities: ['2'], eventTimes: ['2024-01-02T00:00:00Z'], values: [JSON.stringify({ spend: -1 })] });
    expect(older).toBe(0);
    expect((await getOnlineFeatures(s.pool, set, ['2'])).get('2')!.values.spend).toBe(50);
    const same = await writeOnlineFeatures(s.pool, set, { entities: ['2'], eventTimes: ['2024-01-06T00:00:00Z'], values: [JSON.stringify({ spend: 51 })] });
    expect(same).toBe(1);
    expect((await getOnlineFeatures(s.pool, set, ['2'])).get('2')!.values).toEqual({ spend: 51 });
  });

  it('reads an s3:// source, and two concurrent runs write the new rows once', async () => {
    const file = writeCsv(
      'visits.csv',
      ['page', 'ts', 'hits'],
      [
        { page: 'a', ts: day(0), hits: 1 },
        { page: 'b', ts: day(1), hits: 2 },
        { page: 'a', ts: day(2), hits: 3 },
      ],
    );
    const source = await s.artifacts.putFile('sources/visits.csv', file);
    const { set } = await applyFeatureSet(s, { name: 'visits', entity: 'page', timestamp: 'ts', source: { uri: source.uri }, columns: ['hits'] });
    const runs = await Promise.all([materialize(s, set), materialize(s, set)]);
    expect(runs.map((r) => r.rows).sort()).toEqual([0, 3]);
    expect((await getOnlineFeatures(s.pool, set, ['a'])).get('a')!.values).toEqual({ hits: 3 });
    const parts = await s.pool.query('SELECT rows FROM feature_materializations WHERE set_name = $1', ['visits']);
    expect(parts.rows).toEqual([{ rows: '3' }]);
  });

  it('names the missing column when the source does not match the definition', async () => {
    writeCsv('broken.csv', ['user', 'ts', 'amount'], [{ user: 1, ts: day(0), amount: 3 }]);
    await applyFeatureSet(s, { ...def, name: 'broken', source: { uri: path.join(dir, 'broken.csv') } });
    await expect(materialize(s, { name: 'broken' })).rejects.toThrow(
      /feature set broken: source .*broken\.csv has no column "spend" \(named by columns\[0\]; columns: user, ts, amount\)/,
    );
    await expect(materialize(s, { name: 'nope' })).rejects.toThrow('feature set "nope" is not registered');
  });
});

describe('point-in-time training sets', () => {
  it('joins each event with the values as of its time: never a later value, nulls before the first', async () => {
    // Feature rows for 50 items at random times; `asof` holds the row's own time, so a leak would show.
    const random = seededRandom(7);
    const feature: Row[] = [];
    for (let item = 0; item < 50; item++) {
      const times = new Set<number>();
      for (let k = 0; k < 8; k++) times.add(Math.floor(random() * 60 * 24) * 3_600_000);
      for (const t of times) feature.push({ item: `i${item}`, ts: day(0, t), price: Math.round(random() * 10_000) / 100, asof: t });
    }
    writeCsv('prices.csv', ['item', 'ts', 'price', 'asof'], feature);
    const { set } = await applyFeatureSet(s, {
      name: 'prices',
      entity: 'item',
      timestamp: 'ts',
      source: { uri: path.join(dir, 'prices.csv') },
      columns: ['price', 'asof'],
    });
    await materialize(s, { name: 'prices' });

    const events: Row[] = [];
    for (let i = 0; i < 2_000; i++)
      events.push({ event_id: i, item: `i${Math.floor(random() * 55)}`, at: day(0, Math.floor(random() * 62 * 24) * 3_600_000 + 1_800_000), label: i % 2 });
    // The edges: exactly at a feature row's time (visible), and before any row of the entity (nulls).
    const first = feature.find((r) => r.item === 'i0')!;
    const earliest = Math.min(...feature.filter((r) => r.item === 'i0').map((r) => r.asof as number));
    events.push({ event_id: 2_000, item: 'i0', at: first.ts!, label: 1 }, { event_id: 2_001, item: 'i0', at: day(0, earliest - 1), label: 0 });
    writeCsv('events.csv', ['event_id', 'item', 'at', 'label'], events);

    const result = await buildTrainingSet(s, { events: path.join(dir, 'events.csv'), entity: 'item', timestamp: 'at', sets: [{ name: 'prices' }] });
    expect(result.rows).toBe(events.length);
    expect(result.columns.map((c) => c.name)).toEqual(['event_id', 'item', 'at', 'label', 'price', 'asof']);
    expect(result.sets).toEqual([{ name: 'prices', version: set.version, parts: 1, columns: { price: 'price', asof: 'asof' } }]);
    const rows = await readParquet(result.ref.uri);
    let nulls = 0;
    rows.forEach((r, i) => {
      expect(Number(r.event_id)).toBe(events[i]!.event_id); // event order kept
      const at = Date.parse(`${events[i]!.at as string}Z`.replace(' ', 'T')) - Date.UTC(2024, 0, 1);
      const known = feature.filter((f) => f.item === events[i]!.item && (f.asof as number) <= at);
      const expected = known.length === 0 ? null : known.reduce((a, b) => ((b.asof as number) > (a.asof as number) ? b : a));
      if (expected === null) nulls++;
      expect([r.asof, r.price]).toEqual(expected === null ? [null, null] : [expected.asof, expected.price]);
      if (r.asof !== null) expect(r.asof as number).toBeLessThanOrEqual(at);
    });
    expect(nulls).toBeGreaterThan(50); // unknown items and events before an item's first row
    expect(rows.at(-2)).toMatchObject({ asof: first.asof, price: first.price });
    expect(rows.at(-1)).toMatchObject({ asof: null, price: null });

    const lineage = await s.lineage.artifactByUri(result.ref.uri);
    expect(lineage).toMatchObject({
      type: 'TrainingSet',
      properties: { events: path.join(dir, 'events.csv'), eventsSha256: result.eventsSha256, rows: events.length },
    });
    const upstream = await s.lineage.upstream(lineage!.id);
    expect(upstream.artifacts.map((a) => a.type).sort()).toEqual(['FeatureSet', 'FeatureSetPart', 'TrainingSet']);
  });

  it('refuses colliding feature names unless prefixed, and sets that were never materialized', async () => {
    const request = { events: path.join(dir, 'events.csv'), entity: 'item', timestamp: 'at' };
    await applyFeatureSet(s, { name: 'prices2', entity: 'item', timestamp: 'ts', source: { uri: path.join(dir, 'prices.csv') }, columns: ['price'] });
    await expect(buildTrainingSet(s, { ...request, sets: [{ name: 'prices2' }] })).rejects.toThrow(
      'feature set prices2@1 has no materialized rows; run `mlops features materialize prices2 --version 1` first',
    );
    await materialize(s, { name: 'prices2' });
    await expect(buildTrainingSet(s, { ...request, sets: [{ name: 'prices' }, { name: 'prices2' }] })).rejects.toThrow(
      'column "price" of feature set prices2 collides with a feature of prices',
    );
    await expect(buildTrainingSet(s, { ...request, sets: [{ name: 'prices', features: ['cost'] }] })).rejects.toThrow(
      'feature set prices@1 has no feature "cost" (features: price, asof)',
    );
    // DuckDB's own names (rowid) are ordinary columns; only the pipeline's helper prefix is refused.
    writeCsv(
      'rowid-events.csv',
      ['rowid', 'item', 'at'],
      [
        { rowid: 7, item: 'i0', at: day(1) },
        { rowid: 3, item: 'i1', at: day(2) },
      ],
    );
    const withRowid = await buildTrainingSet(s, { ...request, events: path.join(dir, 'rowid-events.csv'), sets: [{ name: 'prices' }] });
    expect(withRowid.columns.map((c) => c.name)).toEqual(['rowid', 'item', 'at', 'price', 'asof']);
    expect((await readParquet(withRowid.ref.uri, 'SELECT rowid::INT AS r FROM t')).map((r) => r.r)).toEqual([7, 3]);
    writeCsv('helper-events.csv', ['__MLOPS_row', 'item', 'at'], [{ __MLOPS_row: 1, item: 'i0', at: day(1) }]);
    await expect(buildTrainingSet(s, { ...request, events: path.join(dir, 'helper-events.csv'), sets: [{ name: 'prices' }] })).rejects.toThrow(
      'column "__MLOPS_row" starts with "__mlops_", which is reserved for the pipeline\'s own columns; rename it',
    );
    await expect(buildTrainingSet(s, { ...request, timestamp: 'when', sets: [{ name: 'prices' }] })).rejects.toThrow(
      /have no timestamp column "when" \(columns: event_id, item, at, label\)/,
    );
    const both = await buildTrainingSet(s, { ...request, sets: [{ name: 'prices', features: ['price'] }, { name: 'prices2' }], prefixed: true });
    expect(both.columns.map((c) => c.name)).toEqual(['event_id', 'item', 'at', 'label', 'prices__price', 'prices2__price']);
    const rows = await readParquet(both.ref.uri, 'SELECT count(*) FILTER (prices__price IS DISTINCT FROM prices2__price)::INT AS differ FROM t');
    expect(rows[0]!.differ).toBe(0);
  });
});

describe('skew guard', () => {
  it('gives 1,000 entities the same values online, in the offline Parquet, and from deriveRow on the raw row', async () => {
    const random = seededRandom(11);
    const plans = ['free', 'pro', 'team', 'enterprise'];
    const rows: Row[] = [];
    const latest = new Map<number, Row>();
    for (let id = 1; id <= 1_000; id++) {
      const n = 1 + Math.floor(random() * 4);
      const times = new Set<number>();
      while (times.size < n) times.add(Math.floor(random() * 400 * 86_400_000));
      for (const t of times) {
        const row: Row = {
          customer: id,
          updated: day(0, t),
          signup: new Date(Date.UTC(2015, 0, 1) + Math.floor(random() * 3000) * 86_400_000).toISOString().slice(0, 10),
          spend: random() < 0.05 ? null : Math.round(random() * 1e6) / 100 - 100,
          visits: Math.floor(random() * 50),
          plan: random() < 0.05 ? null : plans[Math.floor(random() * plans.length)]!,
          region: `r${Math.floor(random() * 7)}`,
        };
        rows.push(row);
        const prev = latest.get(id);
        if (!prev || (row.updated as string) > (prev.updated as string)) latest.set(id, row);
      }
    }
    const uri = writeCsv('customers.csv', ['customer', 'updated', 'signup', 'spend', 'visits', 'plan', 'region'], rows);
    const { set } = await applyFeatureSet(s, {
      name: 'customers',
      entity: 'customer',
      timestamp: 'updated',
      source: { uri },
      columns: ['spend', 'visits', 'plan'],
      features: {
        derive: [
          { name: 'update_dow', op: 'day_of_week', input: 'updated' },
          { name: 'update_hour', op: 'hour', input: 'updated' },
          { name: 'signup_month', op: 'month', input: 'signup' },
          { name: 'signup_holiday', op: 'holiday', input: 'signup' },
          { name: 'log_spend', op: 'log1p', input: 'spend' },
          { name: 'spend_per_visit', op: 'ratio', inputs: ['spend', 'visits'] },
          { name: 'spend_band', op: 'bucketize', input: 'spend', boundaries: [0, 100, 1000] },
          { name: 'plan_region', op: 'cross', inputs: ['plan', 'region'] },
          { name: 'band_plan', op: 'cross', inputs: ['spend_band', 'plan'] },
          { name: 'score', op: 'weighted_sum', inputs: ['visits', 'log_spend'], weights: [0.3, -1.7] },
        ],
      },
    });
    const done = await materialize(s, set);
    expect(done.rows).toBe(rows.length);
    const entities = [...latest.keys()].map(String);

    const online = await getOnlineFeatures(s.pool, set, entities);
    expect(online.size).toBe(1_000);
    const offlineRows = await readParquet(done.part!.uri, 'SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY customer ORDER BY updated DESC) = 1');
    const offline = new Map(offlineRows.map((r) => [r.customer as string, r]));
    const resolved = await withSourceTable(uri, {}, async (_conn, _table, src) => resolveFeatureSet(set.definition, src.columns));
    const names = resolved.features.map((f) => f.name);

    let compared = 0;
    for (const id of entities) {
      const raw = latest.get(Number(id))!;
      // The serving path: a request carrying the raw row as JSON (dates as ISO strings).
      const request: Record<string, unknown> = { ...raw, updated: `${(raw.updated as string).replace(' ', 'T')}Z` };
      const derived = deriveRow(resolved.derive, request, resolved.rowKinds);
      const serving: Record<string, FeatureValue> = {};
      for (const f of resolved.kept) serving[f.name] = storedValue(coerce(request[f.name], f.kind));
      for (const d of resolved.derive) serving[d.name] = storedValue(derived[d.name]!);
      const fromParquet = Object.fromEntries(names.map((n) => [n, offline.get(id)![n] as FeatureValue]));
      expect(online.get(id)!.values).toEqual(fromParquet);
      expect(online.get(id)!.values).toEqual(serving);
      expect(online.get(id)!.eventTime.getTime()).toBe(Date.parse(request.updated as string));
      compared++;
    }
    expect(compared).toBe(1_000);
    // Every kind of value took part: nulls, strings, fractions, and crosses over a null.
    const all = [...online.values()].map((o) => o.values);
    expect(all.some((v) => v.spend === null && v.log_spend === null && v.band_plan === null)).toBe(true);
    expect(all.some((v) => typeof v.plan_region === 'string' && (v.plan_region as string).includes('×'))).toBe(true);
    expect(all.some((v) => v.signup_holiday === 1)).toBe(true);
  });
});

describe('mlops features commands', () => {
  /** Runs a command in this process against this file's schema and prefix; returns what it printed. */
  async function run(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
    process.env.MLOPS_DB_SCHEMA = s.schema;
    process.env.MLOPS_S3_PREFIX = s.artifacts.prefix;
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      return { code: await fn(), out: lines.join('\n') };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }

  it('apply, materialize, get, training-set and list, with paths relative to the definition file', async () => {
    const sub = mkdtempSync(path.join(dir, 'cli-'));
    writeCsv(
      path.relative(dir, path.join(sub, 'rates.csv')),
      ['shop', 'ts', 'rate'],
      [
        { shop: 's1', ts: day(0), rate: 0.5 },
        { shop: 's1', ts: day(3), rate: 0.75 },
        { shop: 's2', ts: day(1), rate: 2 },
      ],
    );
    writeFileSync(
      path.join(sub, 'rates.json'),
      JSON.stringify({ name: 'rates', entity: 'shop', timestamp: 'ts', source: { uri: 'rates.csv' }, columns: ['rate'] }),
    );
    const applied = await run(() => featuresApplyCommand({ json: true }, [path.join(sub, 'rates.json')]));
    expect(JSON.parse(applied.out)).toMatchObject({ name: 'rates', version: 1, created: true, definition: { source: { uri: path.join(sub, 'rates.csv') } } });
    expect((await run(() => featuresApplyCommand({}, [path.join(sub, 'rates.json')]))).out).toMatch(/^rates v1 unchanged/);

    const done = await run(() => featuresMaterializeCommand({}, ['rates']));
    expect(done.out).toMatch(/^rates@1: wrote 3 rows for 2 entities \(2 online rows moved forward\)/);
    expect(done.out).toContain('watermark - → 2024-01-04T00:00:00.000000Z');
    expect((await run(() => featuresMaterializeCommand({}, ['rates']))).out).toMatch(/^rates@1: no new rows past 2024-01-04T00:00:00.000000Z; nothing written/);

    const got = await run(() => featuresGetCommand({ json: true }, ['rates', 's1', 'nope']));
    expect(JSON.parse(got.out)).toEqual({
      name: 'rates',
      version: 1,
      entities: [
        { entity: 's1', eventTime: '2024-01-04T00:00:00.000Z', values: { rate: 0.75 } },
        { entity: 'nope', eventTime: null, values: null },
      ],
    });

    writeCsv(
      path.relative(dir, path.join(sub, 'orders.csv')),
      ['order', 'shop', 'at'],
      [
        { order: 1, shop: 's1', at: day(2) },
        { order: 2, shop: 's2', at: day(0) },
      ],
    );
    const ts = await run(() =>
      featuresTrainingSetCommand({ events: path.join(sub, 'orders.csv'), entity: 'shop', timestamp: 'at', set: ['rates@1:rate'], json: true }, []),
    );
    const out = JSON.parse(ts.out);
    expect(out).toMatchObject({ rows: 2, sets: [{ name: 'rates', version: 1, columns: { rate: 'rate' } }] });
    expect((await readParquet(out.ref.uri)).map((r) => r.rate)).toEqual([0.5, null]);

    expect((await run(() => featuresListCommand({}, []))).out).toMatch(/rates@1\s+3 rows in 1 part\(s\)\s+watermark 2024-01-04T00:00:00.000000Z/);
  });

  it('refuses bad arguments and definitions with usage errors naming the problem', async () => {
    await expect(run(() => featuresApplyCommand({}, []))).rejects.toThrow(UsageError);
    await expect(run(() => featuresApplyCommand({}, [path.join(dir, 'missing.json')]))).rejects.toThrow(/missing\.json: no such file/);
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ name: 'Bad Name', entity: 'a', timestamp: 'b', source: { uri: 'x.csv' }, columns: ['c'] }));
    await expect(run(() => featuresApplyCommand({}, [path.join(dir, 'bad.json')]))).rejects.toThrow(/bad\.json: name "Bad Name" must be 1-63/);
    await expect(run(() => featuresMaterializeCommand({ version: '0' }, ['rates']))).rejects.toThrow('--version "0" is not a positive integer');
    await expect(run(() => featuresMaterializeCommand({ version: '9' }, ['rates']))).rejects.toThrow('feature set rates has no version 9 (versions: 1)');
    await expect(run(() => featuresGetCommand({}, ['rates']))).rejects.toThrow('expected NAME and at least one ENTITY');
    await expect(run(() => featuresTrainingSetCommand({ events: 'e.csv', entity: 'shop' }, []))).rejects.toThrow(
      '--events, --entity, --timestamp and at least one --set are required',
    );
    await expect(run(() => featuresTrainingSetCommand({ events: 'e.csv', entity: 'shop', timestamp: 'at', set: ['rates@x'] }, []))).rejects.toThrow(
      '--set "rates@x" is not NAME[@VERSION][:FEATURE,FEATURE…]',
    );
  });
});
