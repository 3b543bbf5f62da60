import 'reflect-metadata';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  CRLNumber,
  CRLReason,
  Extension as AsnExtension,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  Name as AsnName,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from '@peculiar/asn1-x509';
import { AsnEcSignatureFormatter, idEd25519, KeyUsageFlags, KeyUsagesExtension, X509Crl, type X509Certificate } from '@peculiar/x509';
import { fromHex, sameBytes } from './bytes.js';
import { signingAlgorithmFor } from './ciphersuite.js';
import { resolveIssuer, wholeSeconds, type CertificateIssuer } from './certificate-issuer.js';
import { parseCertificate, UNTRUSTED_BER_LIMITS } from './certificate-input.js';
import { decodeDerOrPem, encodePem, exactArrayBuffer, type DerOrPem } from './der-input.js';
import { CrlValidationError, MalformedInputError, ProfileParameterError } from './errors.js';
import { cryptoFor } from './external-key.js';

/** RFC 5280 §5.3.1 CRLReason names (value 7 is unassigned). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

export const REVOCATION_REASON_CODES: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

const REASON_BY_CODE = new Map(Object.entries(REVOCATION_REASON_CODES).map(([name, code]) => [code, name as RevocationReason]));

/** Limit for untrusted CRLs: ~40 bytes per entry leaves room for about 100,000 revocations. */
export const MAX_CRL_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CRL_VALIDITY_SECONDS = 24 * 3600;

export interface RevokedCertificateEntry {
  /** Hex serial number, as in `IssuedCertificate.serialNumber`. */
  readonly serialNumber: string;
  readonly revocationDate: Date;
  readonly reason: RevocationReason;
}

export interface CrlParams {
  /** The CA whose certificates the CRL lists; it signs the CRL. */
  readonly issuer: CertificateIssuer;
  /** RFC 5280 §5.2.3: monotonically increasing for this CA. */
  readonly crlNumber: number;
  readonly entries: readonly RevokedCertificateEntry[];
  readonly thisUpdate?: Date;
  /** Default thisUpdate + 24 h. */
  readonly nextUpdate?: Date;
}

export interface IssuedCrl {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly pem: string;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/**
 * Builds a complete (non-delta) v2 CRL (RFC 5280 §5): signed by the CA itself, with the
 * authority key identifier and CRL number extensions that §5.2.1 and §5.2.3 require, and a
 * reasonCode entry extension except for `unspecified`, which §5.3.1 says to omit.
 */
export async function createCrl(params: CrlParams): Promise<IssuedCrl> {
  const issuer = resolveIssuer(params.issuer, KeyUsageFlags.cRLSign);
  if (!Number.isSafeInteger(params.crlNumber) || params.crlNumber < 0) {
    throw new ProfileParameterError('CRL number must be a non-negative integer');
  }
  const thisUpdate = wholeSeconds(params.thisUpdate ?? new Date());
  const nextUpdate = wholeSeconds(params.nextUpdate ?? new Date(thisUpdate.getTime() + DEFAULT_CRL_VALIDITY_SECONDS * 1000));
  if (nextUpdate <= thisUpdate) {
    throw new ProfileParameterError('nextUpdate must be after thisUpdate');
  }
  const seen = new Set<string>();
  const entries = params.entries.map((entry) => {
    const serialNumber = normalizeSerial(entry.serialNumber);
    if (seen.has(serialNumber)) {
      throw new ProfileParameterError(`serial ${serialNumber} is listed twice`);
    }
    seen.add(serialNumber);
    if (entry.reason === 'removeFromCRL') {
      throw new ProfileParameterError('removeFromCRL belongs only in delta CRLs (RFC 5280 §5.3.1)');
    }
    const code = REVOCATION_REASON_CODES[entry.reason];
    if (code === undefined) {
      throw new ProfileParameterError(`unknown revocation reason "${entry.reason}"`);
    }
    return { serialNumber, revocationDate: wholeSeconds(entry.revocationDate), code };
  });
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signatureAlgorithmIdentifier(issuer.privateKey),
    issuer: AsnConvert.parse(issuer.name.toArrayBuffer(), AsnName),
    thisUpdate: new Time(thisUpdate),
    nextUpdate: new Time(nextUpdate),
    // RFC 5280 §5.1.2.6: revokedCertificates is absent, not empty, when nothing is revoked.
    revokedCertificates: entries.length > 0 ? entries.map(revokedCertificate) : undefined,
    crlExtensions: [
      AsnConvert.parse(issuer.authorityKeyIdentifier.rawData, AsnExtension),
      new AsnExtension({
        extnID: id_ce_cRLNumber,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(params.crlNumber))),
      }),
    ],
  });
  const der = await signCertificateList(tbs, issuer.privateKey);
  return { der, pem: encodePem(der, 'X509 CRL'), crlNumber: params.crlNumber, thisUpdate, nextUpdate };
}

/**
 * One revokedCertificates entry. Built here rather than by X509CrlGenerator because that writes
 * an empty crlEntryExtensions SEQUENCE for entries without a reason, which RFC 5280's
 * `Extensions ::= SEQUENCE SIZE (1..MAX)` forbids; here the field is absent instead.
 */
function revokedCertificate(entry: { serialNumber: string; revocationDate: Date; code: number }): RevokedCertificate {
  const reasonCode = new AsnExtension({
    extnID: id_ce_cRLReasons,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new CRLReason(entry.code))),
  });
  return new RevokedCertificate({
    userCertificate: positiveIntegerOctets(entry.serialNumber),
    revocationDate: new Time(entry.revocationDate),
    crlEntryExtensions: entry.code === 0 ? undefined : [reasonCode],
  });
}

/** DER INTEGER contents of a non-negative hex serial: a 00 octet in front when the top bit is set. */
function positiveIntegerOctets(hex: string): ArrayBuffer {
  const bytes = fromHex(hex.length % 2 ? `0${hex}` : hex);
  const octets = bytes[0] & 0x80 ? concatBytes([Uint8Array.of(0), bytes]) : bytes;
  return new Uint8Array(octets).buffer;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';

/** RFC 8410 §3 (Ed25519, parameters absent) and RFC 5758 §3.2 (ECDSA, parameters absent). */
function signatureAlgorithmIdentifier(key: CryptoKey): AlgorithmIdentifier {
  const algorithm = signingAlgorithmFor(key) as EcdsaParams;
  if (algorithm.name === 'Ed25519') return new AlgorithmIdentifier({ algorithm: idEd25519 });
  return new AlgorithmIdentifier({ algorithm: algorithm.hash === 'SHA-384' ? ECDSA_WITH_SHA384 : ECDSA_WITH_SHA256 });
}

/** Signs the DER TBSCertList with WebCrypto; ECDSA's r||s becomes the DER Ecdsa-Sig-Value X.509 carries. */
async function signCertificateList(tbs: TBSCertList, key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  // The TBSCertList is encoded once, signed, and reused as is in the CertificateList: encoding
  // the entries is most of a large CRL's cost, and the signed bytes must be the ones sent.
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const algorithm = signingAlgorithmFor(key);
  const raw = await cryptoFor(key).subtle.sign(algorithm, key, tbsDer);
  const signature = algorithm.name === 'ECDSA' ? new AsnEcSignatureFormatter().toAsnSignature({ ...algorithm, ...key.algorithm }, raw) : raw;
  if (!signature) {
    throw new ProfileParameterError('could not encode the CRL signature');
  }
  // RFC 5280 §5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
  const algorithmDer = new Uint8Array(AsnConvert.serialize(tbs.signature));
  const bitString = derElement(0x03, concatBytes([Uint8Array.of(0), new Uint8Array(signature)]));
  return derElement(0x30, concatBytes([tbsDer, algorithmDer, bitString]));
}

/** One DER TLV with a definite, minimal length (X.690 §8.1.3, §10.1). */
function derElement(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.byteLength;
  const lengthOctets: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) lengthOctets.unshift(rest % 256);
  const header = n < 0x80 ? [tag, n] : [tag, 0x80 | lengthOctets.length, ...lengthOctets];
  return concatBytes([Uint8Array.from(header), content]);
}

function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

function normalizeSerial(serial: string): string {
  if (!/^[0-9a-fA-F]{1,40}$/.test(serial)) {
    throw new ProfileParameterError(`"${serial}" is not a hex serial number`);
  }
  return serial.toLowerCase().replace(/^(?:00)+(?=[0-9a-f]{2})/, '');
}

/** A CRL whose signature, issuer and freshness have been checked. */
export interface CheckedCrl {
  readonly crlNumber: number | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** The entry for a certificate serial (hex), or undefined when it is not revoked. */
  revocationOf(serialNumber: string): RevokedCertificateEntry | undefined;
}

export function parseCrl(input: DerOrPem, maxBytes = MAX_CRL_BYTES): X509Crl {
  // "CRL" is what some libraries (including @peculiar/x509) write; RFC 7468 §6 says "X509 CRL".
  const der = decodeDerOrPem(input, ['X509 CRL', 'CRL'], maxBytes);
  try {
    const crl = new X509Crl(exactArrayBuffer(der), UNTRUSTED_BER_LIMITS);
    void crl.issuerName.toString();
    void crl.thisUpdate;
    void crl.nextUpdate;
    void crl.extensions;
    return crl;
  } catch (cause) {
    throw new MalformedInputError('CRL is not a valid X.509 CertificateList', { cause });
  }
}

/**
 * Checks a CRL for use at time `at` (RFC 5280 §6.3.3): issued by `issuer` (same name, signature
 * by its key, and the issuer may sign CRLs), and current: thisUpdate ≤ at ≤ nextUpdate. A CRL
 * without nextUpdate is refused, since nobody could tell when it went stale.
 */
export async function checkCrl(input: DerOrPem | X509Crl, issuerCertificate: DerOrPem | X509Certificate, at: Date = new Date()): Promise<CheckedCrl> {
  const crl = input instanceof X509Crl ? input : parseCrlForCheck(input);
  const issuer = parseCertificate(issuerCertificate);
  if (!sameBytes(crl.issuerName.toArrayBuffer(), issuer.subjectName.toArrayBuffer())) {
    throw new CrlValidationError('issuer_mismatch', 'CRL issuer is not the certificate issuer');
  }
  const keyUsage = issuer.getExtension<KeyUsagesExtension>('2.5.29.15');
  if (keyUsage && (keyUsage.usages & KeyUsageFlags.cRLSign) === 0) {
    throw new CrlValidationError('issuer_mismatch', 'issuer certificate may not sign CRLs');
  }
  let verified = false;
  try {
    verified = await crl.verify({ publicKey: issuer.publicKey }, globalThis.crypto);
  } catch {
    verified = false;
  }
  if (!verified) {
    throw new CrlValidationError('bad_signature', 'CRL signature does not verify with the issuer key');
  }
  const { thisUpdate, nextUpdate } = crl;
  if (!nextUpdate) {
    throw new CrlValidationError('stale', 'CRL has no nextUpdate');
  }
  if (at < thisUpdate) {
    throw new CrlValidationError('not_yet_valid', `CRL thisUpdate ${thisUpdate.toISOString()} is after ${at.toISOString()}`);
  }
  if (at > nextUpdate) {
    throw new CrlValidationError('stale', `CRL nextUpdate ${nextUpdate.toISOString()} has passed`);
  }
  let crlNumber: number | undefined;
  let revoked: Map<string, RevokedCertificateEntry>;
  try {
    const numberExtension = crl.getExtension(id_ce_cRLNumber);
    crlNumber = numberExtension ? AsnConvert.parse(numberExtension.value, CRLNumber).value : undefined;
    revoked = new Map(
      crl.entries.map((entry) => {
        const serialNumber = normalizeSerial(entry.serialNumber);
        const reason = entry.reason === undefined ? 'unspecified' : REASON_BY_CODE.get(entry.reason);
        if (!reason) throw new Error(`unknown reason code ${entry.reason}`);
        return [serialNumber, { serialNumber, revocationDate: entry.revocationDate, reason }];
      }),
    );
  } catch (cause) {
    throw new CrlValidationError('malformed', 'CRL entries or extensions are not valid', { cause });
  }
  return {
    crlNumber,
    thisUpdate,
    nextUpdate,
    revocationOf(serialNumber) {
      return revoked.get(normalizeSerial(serialNumber));
    },
  };
}

function parseCrlForCheck(input: DerOrPem): X509Crl {
  try {
    return parseCrl(input);
  } catch (cause) {
    throw new CrlValidationError('malformed', 'CRL is not a valid X.509 CertificateList', { cause });
  }
}
