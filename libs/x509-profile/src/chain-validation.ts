import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509Crl,
} from '@peculiar/x509';
import { describePublicKey, requireKeyMatchesCiphersuite, type PublicKeyDescription } from './ciphersuite.js';
import { identityOfCertificate, parseChainCertificate, subjectAltNames, type ClientIdentity } from './client-identity.js';
import { sameBytes } from './bytes.js';
import { checkCrl, parseCrl, type CheckedCrl } from './crl.js';
import type { DerOrPem } from './der-input.js';
import { ChainValidationError, X509ProfileError } from './errors.js';
import { nameConstraintsOf, nameConstraintViolation } from './name-constraints.js';

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
} as const;

/** Extensions this validator processes; any other extension marked critical rejects the certificate (RFC 5280 §6.1.4 (o)). */
const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID));

export type RevocationScope = 'none' | 'leaf' | 'chain';

export interface ChainValidationOptions {
  /** The org's root CA certificates (several during a root rotation). */
  readonly trustAnchors: readonly (DerOrPem | X509Certificate)[];
  /** Intermediates to use when the chain holds only the leaf. */
  readonly intermediates?: readonly (DerOrPem | X509Certificate)[];
  /** Validation time; default now. */
  readonly at?: Date;
  /** When given, the leaf key must be this RFC 9420 cipher suite's signature key type. */
  readonly ciphersuite?: number;
  /** CRLs of the intermediate (for the leaf) and of the root (for the intermediate). */
  readonly crls?: readonly (DerOrPem | X509Crl)[];
  /**
   * Which certificates must be shown unrevoked by a current CRL: `chain` is OpenSSL's
   * -crl_check_all, `leaf` its -crl_check. Default `chain` when CRLs are given, else `none`.
   */
  readonly revocation?: RevocationScope;
}

export interface ValidatedChain {
  readonly identity: ClientIdentity;
  /** The leaf's key: algorithm and the raw key MLS uses as `signature_key`. */
  readonly leafKey: PublicKeyDescription;
  readonly leaf: X509Certificate;
  readonly intermediate: X509Certificate;
  readonly root: X509Certificate;
  /** Earliest notAfter on the path: until when this result can hold, revocation aside. */
  readonly validUntil: Date;
  readonly revocationChecked: RevocationScope;
}

/**
 * Validates a device (or service) chain for a relying party: leaf → org intermediate → org root
 * (RFC 5280 §6.1 basic path validation, restricted to this profile's three-certificate path),
 * then the profile, the cipher suite, and revocation. Every failure is a ChainValidationError
 * whose `reason` names what failed.
 * @param chain DER or PEM certificates, leaf first (the RFC 9420 x509 credential order); the
 *   intermediate may be omitted when `options.intermediates` holds it, and the root may be
 *   included only if it is one of the trust anchors.
 */
export async function validateChain(chain: readonly (DerOrPem | X509Certificate)[], options: ChainValidationOptions): Promise<ValidatedChain> {
  try {
    return await validate(chain, options);
  } catch (error) {
    if (error instanceof ChainValidationError) throw error;
    if (error instanceof X509ProfileError) {
      throw new ChainValidationError('malformed', error.message, { cause: error });
    }
    // Anything else escaping from the ASN.1 or crypto layers means input we could not process.
    throw new ChainValidationError('malformed', 'certificate chain could not be processed', { cause: error });
  }
}

async function validate(chain: readonly (DerOrPem | X509Certificate)[], options: ChainValidationOptions): Promise<ValidatedChain> {
  const at = options.at ?? new Date();
  if (chain.length === 0 || chain.length > 3) {
    throw new ChainValidationError('malformed', `a chain has 1 to 3 certificates, got ${chain.length}`);
  }
  const presented = chain.map(parseChainCertificate);
  const anchors = options.trustAnchors.map(parseChainCertificate);
  const pool = (options.intermediates ?? []).map(parseChainCertificate);

  // Path building (RFC 5280 §6.1 presumes a path; we build the only shape the profile allows).
  const leaf = presented[0];
  const intermediate = presented[1] ?? pool.find((candidate) => issues(candidate, leaf));
  if (!intermediate || !issues(intermediate, leaf)) {
    throw new ChainValidationError('untrusted_issuer', 'the leaf issuer is not in the chain or the known intermediates');
  }
  if (isSelfIssued(intermediate)) {
    throw new ChainValidationError('not_profile_conformant', 'device certificates must be issued by an org intermediate, not a root');
  }
  const candidates = anchors.filter((anchor) => issues(anchor, intermediate));
  if (candidates.length === 0) {
    throw new ChainValidationError('untrusted_issuer', 'the intermediate was not issued by a trusted org root');
  }
  if (presented[2] && !anchors.some((anchor) => sameDer(anchor, presented[2]))) {
    throw new ChainValidationError('untrusted_issuer', 'the chain ends in a root that is not a trust anchor');
  }

  // §6.1.3 (a)(1): signatures. The anchor itself is trusted by configuration.
  if (!(await signedBy(leaf, intermediate))) {
    throw new ChainValidationError('bad_signature', 'the leaf signature does not verify with the intermediate key');
  }
  let root: X509Certificate | undefined;
  for (const candidate of candidates) {
    if (await signedBy(intermediate, candidate)) {
      root = candidate;
      break;
    }
  }
  if (!root) {
    throw new ChainValidationError('bad_signature', 'the intermediate signature does not verify with any trusted root key');
  }

  // §6.1.3 (a)(2): validity at the given time, for every certificate including the anchor.
  for (const [label, certificate] of [
    ['leaf', leaf],
    ['intermediate', intermediate],
    ['root', root],
  ] as const) {
    if (at < certificate.notBefore) {
      throw new ChainValidationError('not_yet_valid', `the ${label} certificate is not valid until ${certificate.notBefore.toISOString()}`);
    }
    if (at > certificate.notAfter) {
      throw new ChainValidationError('expired', `the ${label} certificate expired at ${certificate.notAfter.toISOString()}`);
    }
  }

  // §6.1.4 (k), (l), (m), (n): CA certificates, path length, certificate-signing key usage.
  requireCa(intermediate, 'intermediate', 0);
  requireCa(root, 'root', 1);

  // Profile: the leaf is an end entity that only signs (MLS messages).
  const leafBasic = leaf.getExtension<BasicConstraintsExtension>(OID.basicConstraints);
  if (!leafBasic || leafBasic.ca) {
    throw new ChainValidationError('basic_constraints', 'the leaf must carry basicConstraints cA=FALSE');
  }
  const leafUsage = leaf.getExtension<KeyUsagesExtension>(OID.keyUsage);
  if (!leafUsage || !leafUsage.critical || leafUsage.usages !== KeyUsageFlags.digitalSignature) {
    throw new ChainValidationError('wrong_key_usage', 'the leaf key usage must be exactly digitalSignature, critical');
  }
  for (const [label, certificate] of [
    ['leaf', leaf],
    ['intermediate', intermediate],
  ] as const) {
    const unknown = certificate.extensions.find((ext) => ext.critical && !UNDERSTOOD_EXTENSIONS.has(ext.type));
    if (unknown) {
      throw new ChainValidationError('not_profile_conformant', `the ${label} has an unsupported critical extension ${unknown.type}`);
    }
  }

  // §6.1.3 (b), (c): name constraints of the root apply to the intermediate and the leaf,
  // those of the intermediate to the leaf.
  const leafNames = subjectAltNames(leaf);
  const rootConstraints = nameConstraintsOf(root);
  if (rootConstraints) {
    const violation = nameConstraintViolation(subjectAltNames(intermediate), rootConstraints) ?? nameConstraintViolation(leafNames, rootConstraints);
    if (violation) throw new ChainValidationError('name_constraints', `root name constraints: ${violation}`);
  }
  const intermediateConstraints = nameConstraintsOf(intermediate);
  if (!intermediateConstraints) {
    throw new ChainValidationError('name_constraints', 'the org intermediate carries no name constraints');
  }
  const violation = nameConstraintViolation(leafNames, intermediateConstraints);
  if (violation) {
    throw new ChainValidationError('name_constraints', `intermediate name constraints: ${violation}`);
  }

  const identity = identityOfCertificate(leaf);
  // The profile's constraint is the org's own URI host; a broader one would let this CA speak for other orgs.
  const permittedHosts = (intermediateConstraints.permittedSubtrees ?? [])
    .map((subtree) => subtree.base.uniformResourceIdentifier)
    .filter((base): base is string => base !== undefined);
  if (permittedHosts.length !== 1 || permittedHosts[0] !== identity.org) {
    throw new ChainValidationError('name_constraints', 'the intermediate is not constrained to exactly this org');
  }

  let leafKey: PublicKeyDescription;
  try {
    const spki = new Uint8Array(leaf.publicKey.rawData);
    leafKey = options.ciphersuite === undefined ? describePublicKey(spki) : requireKeyMatchesCiphersuite(spki, options.ciphersuite);
    if (options.ciphersuite === undefined && !['Ed25519', 'P-256', 'P-384'].includes(leafKey.algorithm)) {
      throw new ChainValidationError('ciphersuite_mismatch', `${leafKey.algorithm} is not an MLS signature key of this profile`);
    }
  } catch (error) {
    if (error instanceof ChainValidationError) throw error;
    throw new ChainValidationError('ciphersuite_mismatch', (error as Error).message, { cause: error });
  }

  const scope: RevocationScope = options.revocation ?? (options.crls?.length ? 'chain' : 'none');
  if (scope !== 'none') {
    const crls = parseCrls(options.crls ?? []);
    await requireNotRevoked(leaf, 'leaf', intermediate, crls, at);
    if (scope === 'chain') {
      await requireNotRevoked(intermediate, 'intermediate', root, crls, at);
    }
  }

  const validUntil = [leaf, intermediate, root].map((c) => c.notAfter).reduce((a, b) => (a < b ? a : b));
  return { identity, leafKey, leaf, intermediate, root, validUntil, revocationChecked: scope };
}

/** Whether `issuer` can be the issuer of `subject`: name chaining, and AKI/SKI agreement when both exist. */
function issues(issuer: X509Certificate, subject: X509Certificate): boolean {
  if (!sameBytes(issuer.subjectName.toArrayBuffer(), subject.issuerName.toArrayBuffer())) return false;
  const aki = subject.getExtension<AuthorityKeyIdentifierExtension>(OID.authorityKeyIdentifier)?.keyId;
  const ski = issuer.getExtension<SubjectKeyIdentifierExtension>(OID.subjectKeyIdentifier)?.keyId;
  return aki === undefined || ski === undefined || aki.toLowerCase() === ski.toLowerCase();
}

function isSelfIssued(certificate: X509Certificate): boolean {
  return sameBytes(certificate.subjectName.toArrayBuffer(), certificate.issuerName.toArrayBuffer());
}

async function signedBy(subject: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  try {
    return await subject.verify({ publicKey: issuer.publicKey, signatureOnly: true }, globalThis.crypto);
  } catch {
    return false;
  }
}

/**
 * A CA on the path must say so (cA=TRUE, basicConstraints critical), may sign certificates, and
 * its pathLenConstraint must allow the `below` non-self-issued intermediates beneath it.
 */
function requireCa(certificate: X509Certificate, label: string, below: number): void {
  const basic = certificate.getExtension<BasicConstraintsExtension>(OID.basicConstraints);
  if (!basic?.ca) {
    throw new ChainValidationError('basic_constraints', `the ${label} certificate is not a CA`);
  }
  if (basic.pathLength !== undefined && basic.pathLength < below) {
    throw new ChainValidationError('path_length', `the ${label} path length constraint ${basic.pathLength} is exceeded`);
  }
  const usage = certificate.getExtension<KeyUsagesExtension>(OID.keyUsage);
  if (!usage || (usage.usages & KeyUsageFlags.keyCertSign) === 0) {
    throw new ChainValidationError('wrong_key_usage', `the ${label} key may not sign certificates`);
  }
}

function parseCrls(inputs: readonly (DerOrPem | X509Crl)[]): X509Crl[] {
  const parsed: X509Crl[] = [];
  for (const input of inputs) {
    try {
      parsed.push(input instanceof X509Crl ? input : parseCrl(input));
    } catch {
      // An unparsable CRL is ignored here; if no usable one remains the result is crl_unavailable.
    }
  }
  return parsed;
}

async function requireNotRevoked(
  certificate: X509Certificate,
  label: 'leaf' | 'intermediate',
  issuer: X509Certificate,
  crls: readonly X509Crl[],
  at: Date,
): Promise<void> {
  let checked: CheckedCrl | undefined;
  let lastProblem = 'no CRL from its issuer was given';
  for (const crl of crls) {
    if (!sameBytes(crl.issuerName.toArrayBuffer(), issuer.subjectName.toArrayBuffer())) continue;
    try {
      checked = await checkCrl(crl, issuer, at);
      break;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
  }
  if (!checked) {
    throw new ChainValidationError('crl_unavailable', `no current CRL for the ${label}: ${lastProblem}`);
  }
  const entry = checked.revocationOf(certificate.serialNumber);
  // Listed means revoked, whatever the revocation date, as OpenSSL treats it.
  if (entry) {
    throw new ChainValidationError('revoked', `the ${label} certificate was revoked (${entry.reason})`, {
      revocation: { certificate: label, ...entry },
    });
  }
}

function sameDer(a: X509Certificate, b: X509Certificate): boolean {
  return sameBytes(a.rawData, b.rawData);
}
