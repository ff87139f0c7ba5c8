// The one JSON encoding of artifacts and the hashes taken over them (reports, specs, schemas, plans).

/** JSON with a trailing newline; objects here are built in a fixed key order, so equal data gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(value, null, 1)}\n`;
}
