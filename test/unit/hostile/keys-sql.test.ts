// Object keys and SQL are never built from raw input: every key passes assertKey, every name that becomes
// part of a key or a row passes its validator (which agrees with the database's own CHECK constraint), and
// the two places DuckDB SQL quotes text (ident, literal) round-trip any string exactly — nothing breaks out.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident, literal, openDuckDB, type DuckDB } from '../../../core/data/duckdb';
import { assertFeatureSetName } from '../../../core/featurestore/definition';
import { ArtifactError, ArtifactStore, assertKey, parseS3Uri } from '../../../core/store/artifacts';
import { assertSchemaName } from '../../../core/store/db';
import { assertAlias, assertModelName, RegistryError } from '../../../core/store/registry';

const migrations = path.join(__dirname, '..', '..', '..', 'infra', 'migrations');
/** The CHECK constraint a column of the schema declares, as a RegExp. */
function checkConstraint(file: string, column: string): RegExp {
  const sql = readFileSync(path.join(migrations, file), 'utf8');
  const m = new RegExp(`${column}\\s+text[^\\n]*CHECK \\(${column} ~ '([^']+)'\\)`).exec(sql);
  if (!m) throw new Error(`no CHECK on ${column} in ${file}`);
  return new RegExp(m[1]!);
}

/** Strings a hostile caller would try, and arbitrary ones. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc
    .array(
      fc.constantFrom('a', 'B', '0', '.', '..', '/', '\\', '-', '_', ' ', '\n', '\0', '%2e', '\u202e', 'é', "'", '"', ';', '--', '*', '?', '#', '\u0000', '\t'),
      { maxLength: 12 },
    )
    .map((p) => p.join('')),
  fc.constantFrom(
    '',
    '.',
    '..',
    '/',
    '//',
    'a\u2028b',
    'a\u0085b',
    'a\rb',
    'a/../../b',
    '/etc/passwd',
    'a/./b',
    'a//b',
    'a/',
    'C:\\x',
    'a'.repeat(1025),
    'é'.repeat(600),
    "x'; DROP TABLE artifacts; --",
  ),
);

describe('artifact keys', () => {
  it('assertKey accepts a key only when it cannot leave the prefix it is joined to', () => {
    fc.assert(
      fc.property(hostile, (key) => {
        let accepted = true;
        try {
          expect(assertKey(key)).toBe(key);
        } catch (err) {
          accepted = false;
          expect(err).toBeInstanceOf(ArtifactError);
          expect((err as Error).message).toContain(JSON.stringify(key));
        }
        if (!accepted) return;
        // Normalizing the joined path changes nothing and stays under the prefix.
        const joined = `tenant/a/${key}`;
        expect(path.posix.normalize(joined)).toBe(joined);
        expect(/[\x00-\x1f\x7f-\x9f\u2028\u2029\\]/.test(key)).toBe(false);
        expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
      }),
      { numRuns: 2000 },
    );
  });

  it('a store maps every accepted key into its own prefix and back (its URI parses to the same key)', () => {
    const store = new ArtifactStore({} as Client, 'mlops', 'test/run-1');
    fc.assert(
      fc.property(hostile, (key) => {
        let uri: string;
        try {
          uri = store.uri(key);
        } catch (err) {
          expect(err).toBeInstanceOf(ArtifactError);
          return;
        }
        expect(uri.startsWith('s3://mlops/test/run-1/')).toBe(true);
        expect(store.keyOf(uri)).toBe(key);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseS3Uri: a bucket and a safe key, or an ArtifactError', () => {
    const uri = fc.oneof(
      hostile.map((s) => `s3://mlops/${s}`),
      hostile.map((s) => `s3://${s}`),
      hostile,
    );
    fc.assert(
      fc.property(uri, (u) => {
        try {
          const { bucket, key } = parseS3Uri(u);
          expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
          expect(assertKey(key)).toBe(key);
          expect(`s3://${bucket}/${key}`).toBe(u);
        } catch (err) {
          expect(err).toBeInstanceOf(ArtifactError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** Whether `validate` accepts `value`; a refusal must be a `refusal` error (any other error fails the test). */
function accepts(validate: (value: string) => unknown, refusal: abstract new (...args: never[]) => Error, value: string): boolean {
  try {
    validate(value);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(refusal);
    return false;
  }
}

describe('names that become keys and rows', () => {
  const modelCheck = checkConstraint('002_registry.sql', 'name');
  const aliasCheck = checkConstraint('002_registry.sql', 'alias');

  it('model names: accepted exactly when the registry table would accept them, and usable in a key', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,70}$/)), (name) => {
        const accepted = accepts(assertModelName, RegistryError, name);
        expect(accepted).toBe(modelCheck.test(name));
        if (accepted) expect(assertKey(`models/${name}/1/model.onnx`)).toBeTruthy();
      }),
      { numRuns: 2000 },
    );
  });

  it('aliases: accepted exactly when the alias table would accept them', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.stringMatching(/^[a-z][a-z0-9_-]{0,70}$/)), (alias) => {
        expect(accepts(assertAlias, RegistryError, alias)).toBe(aliasCheck.test(alias));
      }),
      { numRuns: 2000 },
    );
  });

  it('feature set names and schema names: plain lower-case identifiers or refused', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        try {
          assertFeatureSetName(name);
          expect(name).toMatch(/^[a-z0-9][a-z0-9_-]{0,62}$/);
          expect(assertKey(`featuresets/${name}/1/parts/x.parquet`)).toBeTruthy();
        } catch (err) {
          expect((err as Error).message).toContain(JSON.stringify(name));
        }
        try {
          assertSchemaName(name);
          expect(name).toMatch(/^[a-z_][a-z0-9_]{0,62}$/); // safe unquoted in search_path and DROP SCHEMA
        } catch (err) {
          expect((err as Error).message).toContain(JSON.stringify(name));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DuckDB quoting', () => {
  let db: DuckDB;
  beforeAll(async () => {
    db = await openDuckDB({ threads: 1, memoryLimit: '256MB' });
  });
  afterAll(() => db?.close());

  const text = fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 200 })).filter((s) => Buffer.from(s).toString() === s); // no lone surrogates: those are not text

  it('literal(x) reads back as exactly x; a NUL byte is refused before any SQL', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (s) => {
        if (s.includes('\0')) {
          expect(() => literal(s)).toThrow(/NUL/);
          return;
        }
        const rows = (await db.conn.runAndReadAll(`SELECT ${literal(s)} AS v, 42 AS __canary_7f3e`)).getRowObjects();
        expect(rows).toEqual([{ v: s, __canary_7f3e: 42 }]);
      }),
      { numRuns: 300 },
    );
  });

  it('ident(x) names exactly one column x, whatever x holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        text.filter((s) => s.length > 0 && !s.includes('\0')),
        async (s) => {
          const reader = await db.conn.runAndReadAll(`SELECT 1 AS ${ident(s)}, 42 AS __canary_7f3e`);
          expect(reader.columnNames()).toEqual([s, '__canary_7f3e']);
          // Rows as arrays: a row object cannot hold a column named "__proto__" (ingest refuses that name).
          expect(reader.getRows()).toEqual([[1, 42]]);
        },
      ),
      { numRuns: 300, examples: [['__proto__'], ['"'], ['" , 1 AS "x']] },
    );
  });
});
