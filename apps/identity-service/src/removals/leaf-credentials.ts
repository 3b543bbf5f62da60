import { createHash, X509Certificate } from 'node:crypto';
import type { Credential } from 'ts-mls';
import { describePublicKey } from '#x509-profile';
import type { CertificateStatusService, StatusResult } from '../certificates/index.js';

/** What the service knows of one MLS credential (a leaf's, a KeyPackage's, a committer's). */
export interface JudgedCredential {
  /** Hex SHA-256 of the leaf certificate; absent for non-x509 credentials. */
  fingerprint?: string;
  status: StatusResult['status'] | 'not_x509';
  statusReason?: string;
  identity?: StatusResult['identity'];
  /** RFC 9420 §5.3.1: the certificate's key must be the leaf's signature key. */
  keyBound: boolean;
}

// The binding is a pure function of the certificate's bytes and the key, so its answer is
// remembered by exactly those bytes (parsing a certificate is most of a large roster's cost).
// Revocation and validity are not part of it: they are judged by the status service every time.
const BINDINGS_MAX = 100_000;
const bindings = new Map<string, boolean>();

/** RFC 9420 §5.3.1: the MLS signature key equals the key in the leaf certificate. */
export function certificateHoldsKey(leafDer: Uint8Array, signatureKey: Uint8Array): boolean {
  const key = createHash('sha256').update(leafDer).digest('base64') + Buffer.from(signatureKey).toString('base64');
  let bound = bindings.get(key);
  if (bound === undefined) {
    bound = parsedCertificateHoldsKey(leafDer, signatureKey);
    if (bindings.size >= BINDINGS_MAX) bindings.delete(bindings.keys().next().value!);
    bindings.set(key, bound);
  }
  return bound;
}

function parsedCertificateHoldsKey(leafDer: Uint8Array, signatureKey: Uint8Array): boolean {
  try {
    const spki = new X509Certificate(leafDer).publicKey.export({ type: 'spki', format: 'der' });
    return Buffer.from(describePublicKey(new Uint8Array(spki)).rawKey).equals(Buffer.from(signatureKey));
  } catch {
    return false;
  }
}

/**
 * RFC 9420 §5.3.1 for a ratchet-tree leaf: an x509 leaf's signature_key is its certificate's
 * key. Other credential types bind nothing here (they never map to a device of ours).
 */
export function leafKeyBound(leaf: { credential: Credential; signaturePublicKey: Uint8Array }): boolean {
  if (leaf.credential.credentialType !== 'x509') return true;
  const leafDer = leaf.credential.certificates[0];
  return leafDer !== undefined && certificateHoldsKey(leafDer, leaf.signaturePublicKey);
}

/**
 * Judges credentials in one status query, with the §5.3.1 key binding of each. `checkKeys`
 * false skips the (parse-heavy) binding only where the caller has just checked it.
 */
export async function judgeCredentials(
  status: CertificateStatusService,
  orgId: string,
  leaves: readonly { credential: Credential; signaturePublicKey: Uint8Array }[],
  checkKeys = true,
): Promise<JudgedCredential[]> {
  const x509 = leaves
    .map((l, i) => ({ i, chain: l.credential.credentialType === 'x509' ? l.credential.certificates : [] }))
    .filter((x) => x.chain.length > 0);
  const results =
    x509.length > 0
      ? await status.check(
          orgId,
          x509.map((x) => ({ chain: x.chain.map((c) => new Uint8Array(c)) })),
        )
      : [];
  const byIndex = new Map(x509.map((x, k) => [x.i, results[k]!]));
  return leaves.map((leaf, i) => {
    const r = byIndex.get(i);
    if (!r) return { status: 'not_x509', keyBound: false };
    const leafDer = (leaf.credential as { certificates: Uint8Array[] }).certificates[0]!;
    return {
      fingerprint: r.fingerprint,
      status: r.status,
      statusReason: r.reason,
      identity: r.identity,
      keyBound: checkKeys ? certificateHoldsKey(leafDer, leaf.signaturePublicKey) : true,
    };
  });
}

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
