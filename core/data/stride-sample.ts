// The stride sample in SQL: the rows strideSample(rows, n) (core/features/select.ts) picks, chosen by row number,
// so a sample is the same on any thread count and needs no seed.

/**
 * The rows strideSample(rows, n) picks, as a SQL predicate on the 0-based row number `r`: r is picked when
 * floor(ceil(r·n/rows)·rows/n) = r (the first k with floor(k·rows/n) ≥ r lands on it).
 */
export function strideSamplePredicate(rowNumber: string, rows: number, n: number): string {
  if (n >= rows) return 'true';
  return `((((${rowNumber} * ${n} + ${rows - 1}) // ${rows}) * ${rows}) // ${n}) = ${rowNumber}`;
}
