// One derivation code path for training and serving: the batch path over typed arrays and the online
// path over one JSON row must give identical values on real rows.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readColumns } from '../../../core/data/columns';
import { literal, withDuckDB } from '../../../core/data/duckdb';
import { deriveColumns, derivationOrder, deriveRow, deriveValue } from '../../../core/features/derive';
import { usFederal } from '../../../core/features/holidays';
import { parseFeatureSpec, type Derivation } from '../../../core/features/spec';

const weather = path.join(__dirname, '..', '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');

const spec = parseFeatureSpec({
  derive: [
    { name: 'dow', op: 'day_of_week', input: 'date' },
    { name: 'month', op: 'month', input: 'date' },
    { name: 'weekend', op: 'weekend', input: 'date' },
    { name: 'doy', op: 'day_of_year', input: 'date' },
    { name: 'holiday', op: 'holiday', input: 'date' },
    { name: 'range', op: 'weighted_sum', inputs: ['temp_max', 'temp_min'], weights: [1, -1] },
    { name: 'wet_wind', op: 'product', inputs: ['precipitation', 'wind'] },
    { name: 'rain_ratio', op: 'ratio', inputs: ['precipitation', 'wind'] },
    { name: 'log_rain', op: 'log1p', input: 'precipitation' },
    { name: 'temp_band', op: 'bucketize', input: 'temp_max', boundaries: [0, 10, 20, 30] },
    { name: 'band_x_weekend', op: 'cross', inputs: ['temp_band', 'weekend'] },
  ],
});

describe('derived features', () => {
  it('gives identical values in batch (training) and per request (serving) on 1,000 real rows', async () => {
    await withDuckDB(async (conn) => {
      const table = `(SELECT * FROM read_csv(${literal(weather)}) LIMIT 1000)`;
      const raw = [
        { name: 'date', kind: 'date' as const },
        { name: 'precipitation', kind: 'numeric' as const },
        { name: 'temp_max', kind: 'numeric' as const },
        { name: 'temp_min', kind: 'numeric' as const },
        { name: 'wind', kind: 'numeric' as const },
      ];
      const batch = await readColumns(conn, table, raw);
      const order = derivationOrder(spec.derive!, new Set(raw.map((r) => r.name)));
      const derived = deriveColumns(order, batch.columns, batch.rows);
      const rows = (
        await conn.runAndReadAll(`SELECT strftime(date, '%Y-%m-%d') AS date, precipitation, temp_max, temp_min, wind FROM ${table}`)
      ).getRowObjectsJS();
      expect(rows).toHaveLength(1000);
      const kinds = { date: 'numeric', precipitation: 'numeric', temp_max: 'numeric', temp_min: 'numeric', wind: 'numeric' } as const;
      let holidays = 0;
      rows.forEach((r, i) => {
        // The request carries JSON: the date as an ISO string, numbers as numbers.
        const online = deriveRow(order, r as Record<string, unknown>, kinds);
        for (const c of derived) expect(online[c.name], `${c.name} row ${i}`).toStrictEqual(c.values[i]);
        holidays += online.holiday as number;
      });
      // 2012-01-01..2014-09-26: 10 observed US federal holidays in 2012, 10 in 2013, 6 up to September 2014.
      expect(holidays).toBe(26);
      const first = Object.fromEntries(derived.map((c) => [c.name, c.values[0]]));
      expect(first).toMatchObject({ dow: 0, month: 1, weekend: 1, doy: 1, holiday: 0, range: 7.800000000000001, temp_band: 2, band_x_weekend: '2×1' });
    });
  });

  it('treats missing inputs as missing, never as zero', () => {
    const d = (x: Derivation, inputs: (number | string | null)[]) => deriveValue(x, inputs);
    expect(d({ name: 'r', op: 'ratio', inputs: ['a', 'b'] }, [1, 0])).toBeNaN();
    expect(d({ name: 'l', op: 'log1p', input: 'a' }, [-2])).toBeNaN();
    expect(d({ name: 'w', op: 'day_of_week', input: 'a' }, [null])).toBeNaN();
    expect(d({ name: 'c', op: 'cross', inputs: ['a', 'b'] }, ['x', null])).toBeNull();
    expect(d({ name: 'b', op: 'bucketize', input: 'a', boundaries: [1, 2] }, [NaN])).toBeNaN();
  });

  it('orders derivations by dependency and names a cycle or an unknown column', () => {
    const a: Derivation = { name: 'a', op: 'log1p', input: 'b' };
    const b: Derivation = { name: 'b', op: 'log1p', input: 'x' };
    expect(derivationOrder([a, b], new Set(['x'])).map((x) => x.name)).toEqual(['b', 'a']);
    expect(() => derivationOrder([{ ...b, input: 'a' }, a], new Set())).toThrow(/cycle: b → a → b/);
    expect(() => derivationOrder([b], new Set(['y']))).toThrow(/reads column "x", which is neither in the dataset nor derived/);
  });
});

describe('US federal holiday calendar', () => {
  const list = (year: number): string[] => {
    const out: string[] = [];
    for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
      const d = new Date(t);
      if (usFederal(year, d.getUTCMonth() + 1, d.getUTCDate())) out.push(d.toISOString().slice(5, 10));
    }
    return out;
  };
  it('computes 2024 by rule', () => {
    expect(list(2024)).toEqual(['01-01', '01-15', '02-19', '05-27', '06-19', '07-04', '09-02', '10-14', '11-11', '11-28', '12-25']);
  });
  it('observes weekend holidays on the nearest weekday, across the year boundary', () => {
    expect(list(2021)).toEqual(['01-01', '01-18', '02-15', '05-31', '06-18', '07-05', '09-06', '10-11', '11-11', '11-25', '12-24', '12-31']);
    expect(list(2022)).toEqual(['01-17', '02-21', '05-30', '06-20', '07-04', '09-05', '10-10', '11-11', '11-24', '12-26']);
    expect(list(2020)).not.toContain('06-19'); // Juneteenth became a federal holiday in 2021
  });
});

describe('feature spec parsing', () => {
  it('names the derivation and field that is wrong', () => {
    expect(() => parseFeatureSpec({ derive: [{ name: 'x', op: 'sqrt', input: 'a' }] })).toThrow(/features.derive\[0\] \(x\).op "sqrt"/);
    expect(() => parseFeatureSpec({ derive: [{ name: 'x', op: 'ratio', inputs: ['a'] }] })).toThrow(
      /\(x\)\.inputs must be a list of exactly 2 column names, got \["a"\]/,
    );
    expect(() => parseFeatureSpec({ derive: [{ name: 'x', op: 'bucketize', input: 'a', boundaries: [2, 1] }] })).toThrow(/strictly increasing/);
    expect(() => parseFeatureSpec({ derive: [{ name: 'x', op: 'holiday', input: 'a', calendar: 'mars' }] })).toThrow(/calendar must be one of us-federal/);
    expect(() => parseFeatureSpec({ encodings: { a: 'hash' } })).toThrow(/features.encodings.a/);
    expect(() => parseFeatureSpec({ drive: [] })).toThrow(/features.drive is not a feature spec field/);
  });
});

describe('date parts by arithmetic', () => {
  it('agree with Date for every day from 1900 to 2100, at several times of day', () => {
    const parts = ['day_of_week', 'month', 'year', 'day_of_year', 'hour', 'weekend'] as const;
    for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2100, 0, 1); t += 86_400_000 * 3 + 3_600_000 * 7) {
      const dt = new Date(t);
      const expected = {
        day_of_week: dt.getUTCDay(),
        month: dt.getUTCMonth() + 1,
        year: dt.getUTCFullYear(),
        day_of_year: Math.floor((Date.UTC(dt.getUTCFullYear(), dt.getUTCMonth(), dt.getUTCDate()) - Date.UTC(dt.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
        hour: dt.getUTCHours(),
        weekend: dt.getUTCDay() % 6 === 0 ? 1 : 0,
      };
      for (const op of parts) {
        const got = deriveValue({ name: op, op, input: 'd' }, [t]);
        if (got !== expected[op]) throw new Error(`${op} of ${dt.toISOString()}: got ${got}, expected ${expected[op]}`);
      }
    }
  });
});
