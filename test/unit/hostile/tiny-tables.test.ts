// Degenerate tables never crash validation: 0–5 rows of random types with nulls, constants, one repeated date and
// extreme magnitudes go through statistics, schema inference and the anomaly checks (against no schema and against
// another tiny table's schema). Each ends in valid statistics and named anomalies, never an internal error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAnomalies } from '../../../core/data/anomalies';
import { ident, literal, withDuckDB } from '../../../core/data/duckdb';
import { inferSchema, MAX_DOMAIN_SIZE } from '../../../core/data/schema';
import { computeStatistics, domainOf } from '../../../core/data/statistics';
import { canonicalJson } from '../../../core/canonical-json';
import type { DuckDBConnection } from '@duckdb/node-api';

const TYPES = ['DOUBLE', 'BIGINT', 'VARCHAR', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;
type Type = (typeof TYPES)[number];

const value: Record<Type, fc.Arbitrary<string>> = {
  DOUBLE: fc.oneof(
    fc.constantFrom("'nan'::DOUBLE", "'inf'::DOUBLE", "'-inf'::DOUBLE", '1e308', '-1e308', '5e-324', '0', '-0.0', '1'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => `${d}::DOUBLE`),
  ),
  BIGINT: fc.oneof(fc.constantFrom('9223372036854775807', '-9223372036854775808', '0', '1'), fc.integer().map(String)).map((v) => `'${v}'::BIGINT`),
  VARCHAR: fc.oneof(fc.constantFrom('', ' ', 'a', 'NULL', 'ü', '"', "'"), fc.string({ maxLength: 4 })).map((v) => literal(v.replace(/\0/g, ''))),
  BOOLEAN: fc.constantFrom('true', 'false'),
  DATE: fc.constantFrom("'2024-02-29'::DATE", "'1970-01-01'::DATE", "'9999-12-31'::DATE", "'0001-01-01'::DATE"),
  TIMESTAMP: fc.constantFrom("'2024-02-29 12:00:00'::TIMESTAMP", "'1970-01-01'::TIMESTAMP", "'2262-04-11'::TIMESTAMP"),
};

const cell = (t: Type): fc.Arbitrary<string> => fc.oneof({ weight: 1, arbitrary: fc.constant('NULL') }, { weight: 3, arbitrary: value[t] });

/** Columns (type + whether every row repeats one value) and 0–5 rows of SQL literals. */
const tinyTable = fc.array(fc.record({ type: fc.constantFrom(...TYPES), constant: fc.boolean() }), { minLength: 1, maxLength: 4 }).chain((cols) =>
  fc.integer({ min: 0, max: 5 }).chain((rows) =>
    fc
      .tuple(
        ...cols.map((c) => (c.constant ? cell(c.type).map((v) => Array<string>(rows).fill(v)) : fc.array(cell(c.type), { minLength: rows, maxLength: rows }))),
      )
      .map((values) => ({
        columns: cols.map((c, i) => ({ name: `c${i}`, type: c.type })),
        rows,
        values,
      })),
  ),
);

type Tiny = { columns: { name: string; type: Type }[]; rows: number; values: string[][] };

async function load(conn: DuckDBConnection, name: string, t: Tiny): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${name} (${t.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
  for (let r = 0; r < t.rows; r++) await conn.run(`INSERT INTO ${name} VALUES (${t.values.map((col) => col[r]).join(', ')})`);
}

async function validate(conn: DuckDBConnection, name: string, t: Tiny, target: string, baseline?: Tiny) {
  await load(conn, name, t);
  const stats = await computeStatistics(conn, name, t.columns);
  const domains: Record<string, string[] | undefined> = {};
  for (const c of stats.columns) if (c.kind === 'string' || c.kind === 'boolean') domains[c.name] = await domainOf(conn, name, c.name, MAX_DOMAIN_SIZE);
  let schema;
  if (baseline) {
    await load(conn, 'base', baseline);
    const b = await computeStatistics(conn, 'base', baseline.columns);
    schema = inferSchema(b, {});
  }
  const anomalies = await findAnomalies(conn, name, stats, schema, { target, minRows: 1 });
  return { stats, schema: inferSchema(stats, domains), anomalies };
}

describe('validation of degenerate tables', () => {
  it('gives valid statistics and named anomalies for any table of 0–5 rows', async () => {
    await withDuckDB(async (conn) => {
      await fc.assert(
        fc.asyncProperty(tinyTable, tinyTable, fc.nat(), async (t, other, pick) => {
          const target = t.columns[pick % t.columns.length]!.name;
          const { stats, schema, anomalies } = await validate(conn, 'tiny', t, target, other);
          expect(stats.rows).toBe(t.rows);
          expect(stats.columns.map((c) => c.name)).toEqual(t.columns.map((c) => c.name));
          for (const c of stats.columns) {
            expect(c.count + c.missing).toBe(t.rows);
            for (const x of [c.mean, c.std, c.min, c.max]) if (typeof x === 'number') expect(Number.isFinite(x)).toBe(true);
            if (c.histogram) expect(c.histogram.counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(c.count);
          }
          expect(() => canonicalJson({ stats, schema })).not.toThrow();
          for (const a of anomalies) expect(a.rule).toMatch(/^[a-z_]+$/);
          if (t.rows > 0 && stats.columns.find((c) => c.name === target)!.distinct <= 1 && stats.columns.find((c) => c.name === target)!.count > 0) {
            expect(anomalies.map((a) => a.rule)).toContain('target_constant');
          }
        }),
        { numRuns: Number(process.env.TINY_RUNS ?? 200), seed: 20 },
      );
    });
  }, 120_000);

  it('names a target that is absent, and one that is empty', async () => {
    await withDuckDB(async (conn) => {
      const t: Tiny = {
        columns: [
          { name: 'a', type: 'DOUBLE' },
          { name: 'b', type: 'VARCHAR' },
        ],
        rows: 3,
        values: [
          ['1', '2', '3'],
          ["'x'", "'y'", "'x'"],
        ],
      };
      expect((await validate(conn, 'tiny', t, 'label')).anomalies.map((a) => `${a.column}:${a.rule}`)).toContain('label:target_missing');
      const empty: Tiny = { columns: [...t.columns, { name: 'label', type: 'VARCHAR' }], rows: 3, values: [...t.values, ['NULL', 'NULL', 'NULL']] };
      expect((await validate(conn, 'tiny', empty, 'label')).anomalies.map((a) => `${a.column}:${a.rule}`)).toContain('label:target_missing_values');
    });
  });
});
