// Postgres SQL is never built from input: every `.query(…)` in the product takes its values as $n parameters.
// This reads the product's source (TypeScript's parser) and checks each query text: a plain string, or a
// template whose every `${…}` is a module constant (UPPER_CASE) or one of the vetted pieces below, each
// checked by a validator before it gets here. A new interpolation fails this test until it is a parameter
// or is vetted here with its reason.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..', '..');
const PRODUCT = ['core', 'activities', 'serving', 'console', 'infra', 'starters', 'workflows'];

/** `file: expression` → why it is safe. */
const VETTED: Record<string, string> = {
  'core/store/db.ts: schema': 'assertSchemaName: a lower-case SQL identifier',
  'infra/migrate.ts: schema': 'assertSchemaName: a lower-case SQL identifier',
  'serving/prediction-log.ts: partitionName(from)': 'predictions_YYYYMMDD from a Date',
  'serving/prediction-log.ts: from.toISOString()': 'an ISO timestamp from a Date',
  'serving/prediction-log.ts: to.toISOString()': 'an ISO timestamp from a Date',
  'serving/prediction-log.ts: name': "a catalog name matched by '^predictions_[0-9]{8}$'",
  'infra/services/postgres.ts: database.replace(/"/g, \'""\')': 'the configured database name, quoted as an identifier',
  'infra/migrate.ts: m.sql': "a migration file's text, shipped in migrations/",
};

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

interface Finding {
  where: string;
  problem: string;
}

function audit(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): { queries: number; findings: Finding[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  let queries = 0;
  const at = (node: ts.Node): string => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  // Temporal's handle.query(statusQuery) is a workflow query, not SQL: its definitions come from these modules.
  const workflowQueries = new Set<string>();
  for (const st of source.statements) {
    if (
      ts.isImportDeclaration(st) &&
      ts.isStringLiteral(st.moduleSpecifier) &&
      /workflows\/(messages|contracts)$|^@temporalio\//.test(st.moduleSpecifier.text)
    ) {
      const named = st.importClause?.namedBindings;
      if (named && ts.isNamedImports(named)) for (const e of named.elements) workflowQueries.add(e.name.text);
    }
  }
  const checkText = (sql: ts.Expression): void => {
    if (ts.isStringLiteral(sql) || ts.isNoSubstitutionTemplateLiteral(sql)) return;
    const whole = sql.getText(source);
    if (/^[A-Z][A-Z0-9_]*$/.test(whole) || VETTED[`${file}: ${whole}`]) return;
    if (ts.isTemplateExpression(sql)) {
      for (const span of sql.templateSpans) {
        const expr = span.expression.getText(source);
        if (/^[A-Z][A-Z0-9_]*$/.test(expr) || VETTED[`${file}: ${expr}`]) continue;
        findings.push({ where: at(span.expression), problem: `\${${expr}} in the SQL text: pass it as a $n parameter` });
      }
      return;
    }
    findings.push({ where: at(sql), problem: `the SQL text is ${whole.slice(0, 60)}, not a literal: write it out at the call` });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query' && node.arguments.length > 0) {
      const sql = node.arguments[0]!;
      if (!(ts.isIdentifier(sql) && workflowQueries.has(sql.text))) {
        queries++;
        // A prepared statement, { name, text, values }: its text is what counts.
        const text = ts.isObjectLiteralExpression(sql)
          ? sql.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === 'text')?.initializer
          : sql;
        if (text === undefined) findings.push({ where: at(sql), problem: 'a query object without a text' });
        else checkText(text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { queries, findings };
}

describe('Postgres SQL in the product', () => {
  it('takes every value as a parameter, never as text spliced into the query', () => {
    const files = PRODUCT.flatMap(sources).map((f) => f.split(path.sep).join('/'));
    const results = files.map((f) => audit(f));
    // The audit must have something to read (98 queries when this was written).
    expect(results.reduce((n, r) => n + r.queries, 0)).toBeGreaterThan(80);
    expect(results.flatMap((r) => r.findings.map((f) => `${f.where}: ${f.problem}`))).toEqual([]);
  });

  it('flags a spliced value and a prebuilt text, and passes parameters and constants (the audit can fail)', () => {
    const probe = (code: string): string[] => audit('core/store/zz-probe.ts', code).findings.map((f) => f.problem);
    expect(probe("pool.query(`SELECT * FROM t WHERE name = '${name}'`);")).toEqual(['${name} in the SQL text: pass it as a $n parameter']);
    expect(probe('const sql = `SELECT ${x}`; db.query(sql, []);')).toEqual(['the SQL text is sql, not a literal: write it out at the call']);
    expect(probe("pool.query('SELECT * FROM t WHERE name = $1', [name]); pool.query(`${SELECT} WHERE id = $1`, [id]);")).toEqual([]);
    expect(probe('db.query({ name: "x", text: `SELECT ${id}`, values: [] });')).toEqual(['${id} in the SQL text: pass it as a $n parameter']);
    expect(probe('db.query({ name: "x", text: LOOKUP, values: [a] });')).toEqual([]);
    expect(probe("import { statusQuery } from '../workflows/messages';\nhandle.query(statusQuery); handle.query(other);")).toEqual([
      'the SQL text is other, not a literal: write it out at the call',
    ]);
    expect(audit('serving/prediction-log.ts', 'pool.query(`DROP TABLE ${name}`)').findings).toEqual([]);
  });
});
