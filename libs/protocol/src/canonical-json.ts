/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values this project signs and hashes: object
 * members sorted by their UTF-16 code units, no whitespace, numbers and strings as ECMAScript's
 * JSON.stringify writes them (RFC 8785 §3.2.2.3 and §3.2.2.2 adopt exactly that). The value is
 * first taken through JSON (Dates become their ISO strings, undefined members drop out), so what
 * is canonicalised is what a JSON reader of the same data would see.
 */
export function canonicalJson(value: unknown): string {
  return write(JSON.parse(JSON.stringify(value ?? null)) as unknown);
}

function write(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
