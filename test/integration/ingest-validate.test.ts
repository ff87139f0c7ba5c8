// Ingest and validate on real files (vega-datasets, hand-made bad inputs) against real MinIO and Postgres.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, type DatasetRef } from '../../core/data/ingest';
import { withDatasetTable } from '../../core/data/dataset-table';
import { DataError } from '../../core/data/source';
import { validateDataset } from '../../core/data/validate';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-ingest-'));
const vega = (f: string): string => path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', f);
const write = (name: string, content: string | Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(async () => {
  s = await isolatedStores('ingest');
});
afterAll(async () => {
  await s.drop();
});

describe('ingest', () => {
  it('turns seattle-weather.csv into a content-addressed Parquet artifact with sha256s, rows and types', async () => {
    const ref = await ingest({ uri: vega('seattle-weather.csv') }, { artifacts: s.artifacts });
    expect(ref.rows).toBe(1461);
    expect(ref.columns).toEqual([
      { name: 'date', type: 'DATE' },
      { name: 'precipitation', type: 'DOUBLE' },
      { name: 'temp_max', type: 'DOUBLE' },
      { name: 'temp_min', type: 'DOUBLE' },
      { name: 'wind', type: 'DOUBLE' },
      { name: 'weather', type: 'VARCHAR' },
    ]);
    expect(ref.uri).toBe(s.artifacts.uri(`datasets/${ref.sha256}.parquet`));
    expect(ref.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    // The same bytes through another path give the same canonical Parquet.
    const again = await ingest({ uri: `file://${vega('seattle-weather.csv')}` }, { artifacts: s.artifacts });
    expect(again.sha256).toBe(ref.sha256);
    expect(again.sourceSha256).toBe(ref.sourceSha256);
  });

  it('reads JSON arrays, NDJSON, Parquet and s3:// inputs', async () => {
    const penguins = await ingest({ uri: vega('penguins.json') }, { artifacts: s.artifacts });
    expect(penguins.rows).toBe(344);
    expect(penguins.columns.map((c) => c.name)).toContain('Sex');
    const nd = await ingest({ uri: write('rows.ndjson', '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n') }, { artifacts: s.artifacts });
    expect(nd).toMatchObject({
      rows: 2,
      format: 'json',
      columns: [
        { name: 'a', type: 'BIGINT' },
        { name: 'b', type: 'VARCHAR' },
      ],
    });
    const pq = await ingest({ uri: s.artifacts.uri(`datasets/${penguins.sha256}.parquet`) }, { artifacts: s.artifacts, s3: s.s3 });
    expect(pq).toMatchObject({ rows: 344, format: 'parquet', sha256: penguins.sha256 });
  });

  it('handles a BOM, quoted newlines and NaN/Infinity strings', async () => {
    const bom = await ingest({ uri: write('bom.csv', '\uFEFFa,b\n1,x\n2,y\n') }, { artifacts: s.artifacts });
    expect(bom.columns.map((c) => c.name)).toEqual(['a', 'b']);
    const quoted = await ingest({ uri: write('quoted.csv', 'text,n\n"line one\nline two, with comma",1\n"plain",2\n') }, { artifacts: s.artifacts });
    expect(quoted.rows).toBe(2);
    const nan = await ingest({ uri: write('nan.csv', 'x,y\nNaN,1\nInfinity,2\n-Infinity,3\n1.5,4\n') }, { artifacts: s.artifacts });
    expect(nan.columns[0]).toEqual({ name: 'x', type: 'DOUBLE' });
  });

  it('appends logged predictions with feedback labels after the source rows, cast to its types, protected attributes left missing', async () => {
    const src = write('fb.csv', 'day,score,plan,gender,churn\n2024-01-01,1.5,basic,f,true\n2024-01-02,2.5,pro,m,false\n');
    const feedback = {
      target: 'churn',
      protected: ['gender'],
      rows: [
        { features: { day: Date.UTC(2024, 5, 3), score: 7, plan: 'pro', gender: 'a1b2c3', day_of_week: 1 }, label: 'true' },
        { features: { day: '2024-06-04', score: null, plan: 'basic' }, label: 'false' },
      ],
    };
    const ref = await ingest({ uri: src }, { artifacts: s.artifacts, feedback });
    expect(ref).toMatchObject({ rows: 4, feedbackRows: 2 });
    expect(ref.columns.map((c) => c.type)).toEqual(['DATE', 'DOUBLE', 'VARCHAR', 'VARCHAR', 'BOOLEAN']);
    const rows = await withDatasetTable(s.artifacts, ref, async (conn, table) =>
      (await conn.runAndReadAll(`SELECT strftime(day, '%Y-%m-%d') AS day, score, plan, gender, churn FROM ${table}`)).getRowObjectsJS(),
    );
    expect(rows).toEqual([
      { day: '2024-01-01', score: 1.5, plan: 'basic', gender: 'f', churn: true },
      { day: '2024-01-02', score: 2.5, plan: 'pro', gender: 'm', churn: false },
      { day: '2024-06-03', score: 7, plan: 'pro', gender: null, churn: true },
      { day: '2024-06-04', score: null, plan: 'basic', gender: null, churn: false },
    ]);
    // No feedback rows: the same canonical Parquet as a plain ingest.
    expect((await ingest({ uri: src }, { artifacts: s.artifacts, feedback: { ...feedback, rows: [] } })).sha256).toBe(
      (await ingest({ uri: src }, { artifacts: s.artifacts })).sha256,
    );
    // data.maxFeedbackShare: at most a third of the rows may be feedback → 1 of the 2 (2 source rows).
    const capped = await ingest({ uri: src }, { artifacts: s.artifacts, feedback: { ...feedback, maxShare: 1 / 3 } });
    expect(capped).toMatchObject({ rows: 3, feedbackRows: 1, feedbackCapped: 1 });
    // The feedback rows' features against the source rows', target and protected attributes left out.
    expect(ref.feedbackDrift).toMatchObject({ sourceRows: 2, feedbackRows: 2 });
    expect(ref.feedbackDrift!.columns.map((c) => c.name)).toEqual(['day', 'score', 'plan']);
    expect(await ingest({ uri: src }, { artifacts: s.artifacts, feedback: { ...feedback, maxShare: 0 } })).toMatchObject({
      rows: 2,
      feedbackRows: 0,
      feedbackCapped: 2,
    });
  });

  it('detects a semicolon delimiter, and a wrong forced delimiter shows up as a missing column', async () => {
    const semi = await ingest({ uri: write('semi.csv', 'a;b;c\n1;2;3\n4;5;6\n') }, { artifacts: s.artifacts });
    expect(semi.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    const wrong = await ingest({ uri: write('semi2.csv', 'a;b;c\n1;2;3\n4;5;6\n'), delimiter: ',' }, { artifacts: s.artifacts });
    expect(wrong.columns.map((c) => c.name)).toEqual(['a;b;c']);
  });

  const bad: [string, string | Buffer, RegExp][] = [
    ['empty.csv', '', /the file is empty/],
    ['header-only.csv', 'a,b,c\n', /header but no data rows/],
    ['ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n', /line 3 has 2 fields but the header has 3/],
    ['latin1.csv', Buffer.from('name,city\nJos\xe9,M\xfcnchen\n', 'latin1'), /not UTF-8 text \(invalid byte 0xe9 at byte 13\)/],
    ['dup.csv', 'a,a,b\n1,2,3\n', /names column "a" twice/],
    ['proto.csv', 'a,__proto__\n1,2\n', /may not be named "__proto__"/],
    ['garbage.csv', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), /NUL byte|not UTF-8/],
    ['unclosed.csv', 'a,b\n"open,1\n2,3\n', /quoted field opened on line 2 is never closed/],
    ['garbage.parquet', 'PAR1 this is not parquet at all', /not a valid Parquet file|garbage\.parquet/],
    ['huge.csv', `a,b\n${'x'.repeat(17 * 1024 * 1024)},1\n`, /larger than 16 MiB/],
  ];
  for (const [name, content, message] of bad) {
    it(`rejects ${name} with a clear message and stores nothing`, async () => {
      const before = (await s.artifacts.list('datasets')).length;
      const err = await ingest({ uri: write(name, content) }, { artifacts: s.artifacts }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(name);
      expect((await s.artifacts.list('datasets')).length).toBe(before);
    }, 60_000);
  }

  it('rejects a missing file and an unsupported scheme', async () => {
    await expect(ingest({ uri: path.join(dir, 'nope.csv') }, { artifacts: s.artifacts })).rejects.toThrow(/no such file/);
    await expect(ingest({ uri: 'http://example.com/x.csv' }, { artifacts: s.artifacts })).rejects.toThrow(/only local paths, file:\/\/ and s3:\/\//);
    await expect(ingest({ uri: 's3://mlops/../etc' }, { artifacts: s.artifacts })).rejects.toThrow(/not a valid s3/);
  });
});

describe('validate', () => {
  let weather: DatasetRef;
  beforeAll(async () => {
    weather = await ingest({ uri: vega('seattle-weather.csv') }, { artifacts: s.artifacts });
  });

  it('infers the schema from the first dataset, stores statistics, and passes', async () => {
    const r = await validateDataset({ dataset: weather, model: 'weather', rules: { target: 'weather' } }, { artifacts: s.artifacts, schemas: s.schemas });
    expect(r.passed).toBe(true);
    expect(r.schema).toMatchObject({ version: 1, createdNow: true, sha256: r.observedSchema.sha256 });
    const stats = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(r.statistics.uri))).toString());
    const temp = stats.columns.find((c: { name: string }) => c.name === 'temp_max');
    expect(temp).toMatchObject({ count: 1461, missing: 0, min: -1.6, max: 35.6 });
    expect(temp.mean).toBeCloseTo(16.439, 2);
    expect(temp.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(1461);
    const w = stats.columns.find((c: { name: string }) => c.name === 'weather');
    expect(w.topK[0]).toEqual({ value: 'rain', count: 641 });
    const schema = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(r.schema.uri))).toString());
    expect(schema.columns.find((c: { name: string }) => c.name === 'weather').domain).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
  });

  it('flags every anomaly of a changed dataset against the stored schema, naming column, rule, expected and observed', async () => {
    const rows = ['date,precipitation,temp_max,wind,weather,extra'];
    for (let i = 0; i < 40; i++)
      rows.push(
        `2013-01-${String((i % 28) + 1).padStart(2, '0')},${i % 3 === 0 ? '' : 'oops'},${i < 20 ? 80 : 10},${i % 2 ? 'NaN' : '1'},${i % 4 === 0 ? 'hail' : 'rain'},1`,
      );
    const changed = await ingest({ uri: write('changed.csv', rows.join('\n')) }, { artifacts: s.artifacts });
    const r = await validateDataset({ dataset: changed, model: 'weather', rules: { target: 'weather' } }, { artifacts: s.artifacts, schemas: s.schemas });
    expect(r.passed).toBe(false);
    const by = (rule: string, column: string) => r.anomalies.find((a) => a.rule === rule && a.column === column);
    expect(by('missing_column', 'temp_min')).toMatchObject({ severity: 'error' });
    expect(by('type_mismatch', 'precipitation')).toMatchObject({ severity: 'error', expected: 'numeric (DOUBLE)', observed: 'string (VARCHAR)' });
    expect(by('unexpected_categories', 'weather')?.observed).toMatch(/10 rows \(25\.00%\) outside it, e\.g\. \["hail"\]/);
    expect(by('out_of_range', 'temp_max')).toMatchObject({ severity: 'warning', expected: '[-1.6, 35.6]' });
    expect(by('nan_infinity', 'wind')).toMatchObject({ severity: 'warning' });
    expect(by('new_column', 'extra')).toMatchObject({ severity: 'warning' });
    expect(r.schema.version).toBe(1);
  });

  it('fails on a missing or constant target, too few rows, duplicate keys and a spec column that does not exist', async () => {
    const small = await ingest({ uri: write('small.csv', 'id,x,y\n1,1,a\n1,2,a\n2,3,a\n') }, { artifacts: s.artifacts });
    const r = await validateDataset(
      { dataset: small, model: 'small', rules: { target: 'y', keys: ['id'], required: ['ts'] } },
      { artifacts: s.artifacts, schemas: s.schemas },
    );
    expect(r.passed).toBe(false);
    expect(r.anomalies.map((a) => a.rule).sort()).toEqual(['duplicate_keys', 'missing_column', 'target_constant', 'too_few_rows']);
    expect(r.anomalies.find((a) => a.rule === 'missing_column')?.observed).toBe('no such column; columns are: id, x, y');
    expect(r.schema.version).toBe(0); // an invalid first dataset does not become the schema
    const noTarget = await validateDataset({ dataset: small, model: 'small', rules: { target: 'label' } }, { artifacts: s.artifacts, schemas: s.schemas });
    expect(noTarget.anomalies.find((a) => a.rule === 'target_missing')).toMatchObject({ column: 'label', severity: 'error' });
  });

  it('warns about an all-null column instead of failing', async () => {
    const rows = ['a,empty,y'];
    for (let i = 0; i < 20; i++) rows.push(`${i},,${i % 2}`);
    const d = await ingest({ uri: write('allnull.csv', rows.join('\n')) }, { artifacts: s.artifacts });
    const r = await validateDataset({ dataset: d, model: 'allnull', rules: { target: 'y' } }, { artifacts: s.artifacts, schemas: s.schemas });
    expect(r.passed).toBe(true);
    expect(r.anomalies).toEqual([expect.objectContaining({ column: 'empty', rule: 'all_missing', severity: 'warning' })]);
  });
});
