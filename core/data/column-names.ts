// Column names the product keeps for itself. Pure (no Node or DuckDB imports): the spec parser, which runs
// inside the workflow sandbox, uses it too.

/**
 * The helper columns the product's SQL adds to user tables (row numbers, join keys) are named with this prefix,
 * and no user column may take it: DuckDB compares names case-insensitively, and a user column with a helper's
 * name would be bound where the SQL means its own. Every other internal name is an alias no query refers back
 * to by name (GROUP BY and ORDER BY use positions).
 */
export const INTERNAL_PREFIX = '__mlops_';

/** The first of `names` that the product reserves (the internal prefix, or __proto__), if any. */
export function reservedColumnName(names: Iterable<string>): string | undefined {
  for (const n of names) if (n === '__proto__' || n.toLowerCase().startsWith(INTERNAL_PREFIX)) return n;
  return undefined;
}

/** Why a reserved column name cannot be used, for error messages. */
export function reservedColumnReason(name: string): string {
  // Rows travel as JavaScript objects (serving, drift, feature lookups), where __proto__ is the prototype.
  return name === '__proto__'
    ? 'a column may not be named "__proto__"; rename it'
    : `column ${JSON.stringify(name)} starts with "${INTERNAL_PREFIX}", which is reserved for the pipeline's own columns; rename it`;
}
