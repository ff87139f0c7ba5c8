// Column names cannot break the SQL the product builds. Every identifier that appears in the product's SQL text
// (read from the source with TypeScript's parser, so new SQL is covered without editing this file), SQL keywords,
// case variants and names with quotes, spaces, dots and unicode become the column names of generated datasets,
// which then go through ingest → validate → features → select → train → drift, and a feature set through
// materialize → training set, on the real MinIO and Postgres. Each run either keeps every column intact or
// fails with a named, non-internal message.
import { readdirSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_PREFIX, reservedColumnReason } from '../../core/data/column-names';
import { ingest } from '../../core/data/ingest';
import { validateDataset } from '../../core/data/validate';
import { featuresStage, selectStage } from '../../core/features/stages';
import { buildTrainingSet } from '../../core/featurestore/offline';
import { materialize } from '../../core/featurestore/materialize';
import { applyFeatureSet } from '../../core/featurestore/registry';
import { trainStage } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import { compareDatasets } from '../../core/stats/compare-datasets';
import { isolatedStores } from '../support/isolated-stores';

const ROOT = path.join(__dirname, '..', '..');
const PRODUCT = ['core', 'activities', 'serving', 'starters'];
const SQL = /\b(SELECT|FROM|GROUP BY|ORDER BY|CREATE|COPY|INSERT|DELETE|QUALIFY|JOIN|DESCRIBE)\b/;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every word of every string or template in the product that reads as SQL. */
function sqlIdentifiers(): string[] {
  const words = new Set<string>();
  const take = (text: string): void => {
    if (SQL.test(text)) for (const w of text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) words.add(w);
  };
  for (const file of PRODUCT.flatMap(sources)) {
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) take(node.text);
      // A template's SQL is its literal parts together; the words of every part count.
      if (ts.isTemplateExpression(node)) take([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' '));
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...words];
}

const FROM_SQL = sqlIdentifiers();
const EXTRA = [
  'select',
  'group',
  'order',
  'count',
  'value',
  'bin',
  'n',
  'v',
  'b',
  'k',
  'rows',
  'rowid',
  'Rowid',
  'ROWS',
  'SELECT',
  'Group',
  'x"y',
  "it's",
  'a b',
  'a.b',
  'pay.rate',
  'größe',
  '日付',
  'e\u0301',
  'from',
  'where',
  'table',
  'null',
  'true',
  '1a',
  '__proto__',
  `${INTERNAL_PREFIX}row`,
  `${INTERNAL_PREFIX.toUpperCase()}KEY`,
];
const POOL = [...new Set([...FROM_SQL, ...EXTRA])];

const isReserved = (name: string): boolean => name === '__proto__' || name.toLowerCase().startsWith(INTERNAL_PREFIX);
/** The model graph's outputs: a feature of that name is refused (the target may take it). */
const OUTPUTS = ['label', 'probabilities', 'value'];
/** Failures the product may give for such names: a refusal that names the column. Never a SQL engine error. */
const INTERNAL = /Binder Error|Parser Error|Catalog Error|Conversion Error|Invalid Input Error|INTERNAL|internal error|Cannot read|undefined/i;

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-names-'));
let file = 0;
let models = 0;

beforeAll(async () => {
  s = await isolatedStores('names');
}, 60_000);
afterAll(async () => {
  await s.drop();
});

const quote = (v: string): string => (/[",\n\r]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);
function writeCsv(header: string[], rows: (string | number)[][]): string {
  const p = path.join(dir, `d${file++}.csv`);
  writeFileSync(p, [header, ...rows].map((r) => r.map((v) => quote(String(v))).join(',')).join('\n') + '\n');
  return p;
}

/** Distinct names (DuckDB compares them case-insensitively). */
const names = (min: number, max: number) => fc.uniqueArray(fc.constantFrom(...POOL), { minLength: min, maxLength: max, selector: (x) => x.toLowerCase() });

/** Every usable name of the pool, in tables of at most `size` columns with no two names equal but for case. */
function cover(size: number): string[][] {
  const chunks: string[][] = [];
  for (const name of POOL.filter((n) => !isReserved(n))) {
    const fits = chunks.find((c) => c.length < size && !c.some((x) => x.toLowerCase() === name.toLowerCase()));
    if (fits) fits.push(name);
    else chunks.push([name]);
  }
  // The last table may hold one or two names only: it takes others from the pool, so that it still has features
  // and a label that varies.
  const usable = POOL.filter((n) => !isReserved(n));
  for (const c of chunks) {
    for (const name of usable) {
      if (c.length >= Math.min(size, 4)) break;
      if (!c.some((x) => x.toLowerCase() === name.toLowerCase())) c.unshift(name);
    }
  }
  return chunks;
}

function generator(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** Features alternate numeric and categorical; the last column is a binary label that depends on the first two. */
function table(cols: string[], seed: number, rows: number, shift = 0): (string | number)[][] {
  const next = generator(seed);
  return Array.from({ length: rows }, (_, i) => {
    const row: (string | number)[] = cols
      .slice(0, -1)
      .map((_, j) => (j % 2 === 0 ? Math.round((next() * 10 + shift) * 100) / 100 : ['red', 'green', 'blue'][(i + j) % 3]!));
    const a = row[0] as number;
    row.push(a + (row[1] === 'red' ? 3 : 0) + next() * 4 > 7 + shift ? 'yes' : 'no');
    return row;
  });
}

async function pipeline(cols: string[], seed: number): Promise<void> {
  const target = cols[cols.length - 1]!;
  const features = cols.slice(0, -1);
  const csv = writeCsv(cols, table(cols, seed, 120));
  const model = `names${++models}`;
  const spec = parseSpec({ name: model, data: { uri: csv }, target, training: { l2: [1], seed: 3 } });
  const dataset = await ingest({ uri: csv }, { artifacts: s.artifacts });
  expect(dataset.columns.map((c) => c.name)).toEqual(cols);
  const validation = await validateDataset({ dataset, model, rules: { ...spec.validation, target } }, { artifacts: s.artifacts, schemas: s.schemas });
  expect(validation.anomalies.filter((a) => a.severity === 'error')).toEqual([]);
  const planned = await featuresStage({ dataset, target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  expect(planned.plan.features.map((f) => f.name).sort()).toEqual([...features].sort());
  const { selection } = await selectStage({ dataset, plan: planned.plan, selection: spec.selection }, { artifacts: s.artifacts });
  expect([...selection.selected, ...selection.dropped.map((d) => d.name)].sort()).toEqual([...features].sort());
  const trained = await trainStage(
    { model, runKey: `names/${seed}`, dataset, plan: planned.plan, planRef: planned.planRef, selected: selection.selected, spec },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 5 },
  );
  expect(trained.signature.inputs.map((i) => i.name).sort()).toEqual([...selection.selected].sort());
  const shifted = writeCsv(cols, table(cols, seed + 1, 120, 5));
  const drift = await compareDatasets(csv, shifted, { method: 'auto' });
  expect(drift.report.columns.map((c) => c.name).sort()).toEqual([...cols].sort());
  expect(drift.report.columns.find((c) => c.name === features[0])?.drifted).toBe(true);
}

/** Entity, time and label are the first three names; the others are a feature set's numeric columns. */
async function featureStore(cols: string[], seed: number): Promise<void> {
  const [entity, at, label, ...values] = cols as [string, string, string, ...string[]];
  const day = (d: number): string => `2024-01-${String(d).padStart(2, '0')}T00:00:00Z`;
  const source = writeCsv(
    [entity, at, ...values],
    Array.from({ length: 20 }, (_, i) => [`e${i % 5}`, day(1 + Math.floor(i / 5)), ...values.map((_, j) => i * 10 + j)]),
  );
  const name = `names_${seed}`;
  await applyFeatureSet(s, { name, entity, timestamp: at, source: { uri: source }, columns: values });
  const m = await materialize(s, { name });
  expect(m.rows).toBe(20);
  const events = writeCsv(
    [entity, at, label],
    [
      ['e1', day(3), 1],
      ['e2', day(9), 0],
      ['e9', day(9), 1],
    ],
  );
  const set = await buildTrainingSet(s, { events, entity, timestamp: at, sets: [{ name }] });
  expect(set.columns.map((c) => c.name)).toEqual([entity, at, label, ...values]);
  expect(set.rows).toBe(3);
}

/** Runs `work` and returns how it ended: ok, or the refusal message (which must not be an internal one). */
async function outcome(cols: string[], work: () => Promise<void>): Promise<string> {
  try {
    await work();
    return 'ok';
  } catch (err) {
    const message = (err as Error).message;
    expect(message, `columns ${JSON.stringify(cols)}`).not.toMatch(INTERNAL);
    return message;
  }
}

describe('column names from the product SQL', () => {
  it('finds the identifiers of the SQL the product builds', () => {
    // The names that broke validation before, and the helper columns of the feature store and skew checks.
    for (const w of ['b', 'n', 'v', 'share', `${INTERNAL_PREFIX}row`, `${INTERNAL_PREFIX}key`]) expect(FROM_SQL).toContain(w);
  });

  it('a table of one-letter columns with a constant target fails validation with target_constant', async () => {
    const csv = writeCsv(
      ['a', 'b', 'c'],
      Array.from({ length: 40 }, (_, i) => [i % 7, (i * 13) % 11, 'same']),
    );
    const dataset = await ingest({ uri: csv }, { artifacts: s.artifacts });
    const v = await validateDataset({ dataset, model: 'letters', rules: { target: 'c' } }, { artifacts: s.artifacts, schemas: s.schemas });
    expect(v.passed).toBe(false);
    expect(v.anomalies.map((a) => `${a.column}:${a.rule}`)).toContain('c:target_constant');
  });

  it('every identifier of the product SQL is an ordinary column name through the whole pipeline', async () => {
    let seed = 1000;
    for (const cols of cover(30)) {
      // A model output's name may be the target; as a feature it is refused by name (below).
      const outputs = cols.filter((c) => OUTPUTS.includes(c));
      await pipeline([...cols.filter((c) => !OUTPUTS.includes(c)), ...outputs.slice(0, 1)], ++seed);
    }
  }, 600_000);

  it('refuses a feature named like a model output before training, naming it', async () => {
    for (const name of OUTPUTS) {
      await expect(pipeline([name, 'x', 'y'], 1)).rejects.toThrow(
        `feature "${name}" cannot be a model input: the model's outputs are named label, probabilities, value`,
      );
    }
  });

  it('every identifier of the product SQL is an ordinary column name in a feature set and a training set', async () => {
    let seed = 1000;
    // Feature-set columns may not start with "__" (the feature store's own prefix): those names go in other roles.
    for (const cols of cover(30)) {
      const roles = [...cols.filter((c) => c.startsWith('__')), ...cols.filter((c) => !c.startsWith('__'))];
      while (roles.length < 4) roles.push(`extra_${roles.length}`);
      await featureStore(roles, ++seed);
    }
  }, 600_000);

  it("refuses a column that takes the pipeline's own prefix, naming it", async () => {
    for (const name of POOL.filter(isReserved)) {
      const csv = writeCsv(
        ['x', name, 'y'],
        [
          [1, 2, 'a'],
          [2, 3, 'b'],
        ],
      );
      await expect(ingest({ uri: csv }, { artifacts: s.artifacts })).rejects.toThrow(`${csv}: ${reservedColumnReason(name)}`);
    }
  });

  it('random mixes of such names go through the pipeline intact or are refused by name', async () => {
    let seed = 0;
    await fc.assert(
      fc.asyncProperty(names(3, 8), async (cols) => {
        const ended = await outcome(cols, () => pipeline(cols, ++seed));
        const reserved = cols.find(isReserved);
        const output = cols.slice(0, -1).find((c) => OUTPUTS.includes(c));
        if (reserved) expect(ended).toContain(reservedColumnReason(reserved));
        else if (output) expect(ended).toContain(`feature "${output}" cannot be a model input`);
        else expect(ended).toBe('ok');
      }),
      { numRuns: Number(process.env.NAMES_RUNS ?? 10), seed: 27, endOnFailure: true },
    );
  }, 600_000);

  it('random mixes of such names go through a feature set and a training set intact or are refused by name', async () => {
    let seed = 0;
    await fc.assert(
      fc.asyncProperty(names(4, 8), async (cols) => {
        const ended = await outcome(cols, () => featureStore(cols, ++seed));
        const reserved = cols.slice(3).find((c) => c.startsWith('__')) ?? cols.find(isReserved);
        if (reserved) expect(ended).toContain(JSON.stringify(reserved));
        else expect(ended).toBe('ok');
      }),
      { numRuns: Number(process.env.NAMES_RUNS ?? 10), seed: 27, endOnFailure: true },
    );
  }, 600_000);
});
