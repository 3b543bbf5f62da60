/**
 * A last line of defence under the rule that callers put no secrets in audit entries: keys
 * that name secrets are dropped and values shaped like a minted bearer token, a JWT or a PEM
 * private key are replaced, at any depth, before an entry is hashed and stored.
 */
const SECRET_KEY =
  /(secret|password|passwd|private.?key|sealed|^token$|bearer|authorization|cookie|verifier|id.?token|access.?token|refresh.?token|^code$)/i;
const SECRET_VALUE = [
  /mlsid_[a-z]+_[A-Za-z0-9_-]{16,}/, // tokens minted by orgs/bearer-token.ts
  /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./, // a JWT (ID token, assertion)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];
export const REDACTED = '[redacted]';

export function redactSecrets<T>(value: T): T {
  return scrub(value) as T;
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return SECRET_VALUE.some((p) => p.test(value)) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(scrub);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEY.test(k)) continue;
      out[k] = scrub(v);
    }
    return out;
  }
  return value;
}
