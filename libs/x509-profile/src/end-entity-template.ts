import 'reflect-metadata';
import { sha256 } from '@noble/hashes/sha2';
import type { NameConstraints } from '@peculiar/asn1-x509';
import { KeyUsageFlags, X509Certificate } from '@peculiar/x509';
import { fromHex } from './bytes.js';
import { requireKeyMatchesCiphersuite } from './ciphersuite.js';
import {
  boundedNameAttribute,
  randomSerialNumber,
  requireSignedByIssuer,
  resolveIssuer,
  type CertificateIssuer,
  type IssuedCertificate,
} from './certificate-issuer.js';
import { readChildren, readElement } from './der-reader.js';
import { ecdsaSignatureDer } from './der-writer.js';
import { encodePem } from './der-input.js';
import {
  endEntityValidity,
  requireHttpUrl,
  requireRfc822Mailbox,
  type DeviceCertificateParams,
  type EndEntityParams,
  type ServiceCertificateParams,
} from './device-certificate.js';
import { ProfileParameterError } from './errors.js';
import { cryptoFor } from './external-key.js';
import { deviceIdentityUri, serviceIdentityUri } from './identity-uri.js';
import { nameConstraintsOf, requireNamesPermitted } from './name-constraints.js';
import {
  BASIC_CONSTRAINTS_END_ENTITY,
  certificateField,
  crlDistributionPointsExtension,
  KEY_USAGE_DIGITAL_SIGNATURE,
  organizationAndCommonName,
  serialNumberField,
  SIGNATURE_ALGORITHM,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  tbsCertificate,
  validityField,
  type IssuerSignatureAlgorithm,
} from './rfc5280-certificate-fields.js';

/**
 * Signs a TBSCertificate with the issuer's key and returns the X.509 signatureValue: the raw
 * Ed25519 signature, or the DER ECDSA-Sig-Value (RFC 5480 §2.2.3), with the hash of
 * `EndEntityTemplate.signatureAlgorithm`.
 */
export type TbsSigner = (tbs: Uint8Array) => Uint8Array | Promise<Uint8Array>;

type TemplateParams<P extends EndEntityParams> = Omit<P, 'issuer'> & {
  /** Hex magnitude of the serial; only tests set it (to compare with the reference generator). */
  readonly serialNumber?: string;
};
export type DeviceTemplateParams = TemplateParams<DeviceCertificateParams>;
export type ServiceTemplateParams = TemplateParams<ServiceCertificateParams>;

/** A certificate before its signature. */
export interface UnsignedCertificate {
  readonly tbs: Uint8Array;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * The device-certificate profile as a template: everything that depends on the issuer (its
 * name, its key identifier, its name constraints, the signature algorithm) is encoded once, and
 * each certificate only adds serial, validity, subject, SPKI, SKI, SAN and CRL URL. It makes
 * the same checks, in the same order, and the same bytes as `issueDeviceCertificate` /
 * `issueServiceCertificate` (the reference, which tests compare it with).
 */
export class EndEntityTemplate {
  readonly signatureAlgorithm: IssuerSignatureAlgorithm;
  private readonly issuerCertificate: X509Certificate;
  private readonly issuerName: Uint8Array;
  private readonly authorityKeyIdentifier: Uint8Array;
  private readonly nameConstraints: NameConstraints | undefined;
  /** Whether a certificate of this template has verified with the issuer certificate's key. */
  private proven = false;

  constructor(issuer: CertificateIssuer) {
    const resolved = resolveIssuer(issuer, KeyUsageFlags.keyCertSign);
    const algorithm = resolved.signingAlgorithm as Algorithm & { hash?: string };
    this.signatureAlgorithm = algorithm.name === 'Ed25519' ? 'Ed25519' : algorithm.hash === 'SHA-384' ? 'ECDSA-SHA384' : 'ECDSA-SHA256';
    this.issuerCertificate = resolved.certificate;
    this.issuerName = new Uint8Array(resolved.name.toArrayBuffer());
    this.authorityKeyIdentifier = new Uint8Array(resolved.authorityKeyIdentifier.rawData);
    this.nameConstraints = nameConstraintsOf(resolved.certificate);
  }

  device(params: DeviceTemplateParams): UnsignedCertificate {
    const uri = deviceIdentityUri(params.org.slug, params.account.id, params.device.id);
    const email = requireRfc822Mailbox(params.account.email);
    return this.endEntity(params, params.account.displayName, uri, email);
  }

  service(params: ServiceTemplateParams): UnsignedCertificate {
    const uri = serviceIdentityUri(params.org.slug, params.service);
    return this.endEntity(params, params.commonName ?? `MLS ${params.service} service`, uri, undefined);
  }

  /** Adds the issuer's signature; the first certificate is also verified with the issuer's key. */
  async sign(unsigned: UnsignedCertificate, signer: TbsSigner): Promise<IssuedCertificate> {
    const der = certificateField(unsigned.tbs, SIGNATURE_ALGORITHM[this.signatureAlgorithm], await signer(unsigned.tbs));
    if (!this.proven) {
      await requireSignedByIssuer(new X509Certificate(der), this.issuerCertificate);
      this.proven = true;
    }
    return {
      der,
      pem: encodePem(der, 'CERTIFICATE'),
      serialNumber: unsigned.serialNumber,
      notBefore: unsigned.notBefore,
      notAfter: unsigned.notAfter,
      sha256: new Uint8Array(sha256(der)),
    };
  }

  private endEntity(params: TemplateParams<EndEntityParams>, commonName: string, uri: string, email: string | undefined): UnsignedCertificate {
    requireKeyMatchesCiphersuite(params.subjectPublicKeyInfo, params.ciphersuite);
    requireNamesPermitted({ uri, email }, this.nameConstraints);
    const { notBefore, notAfter } = endEntityValidity(params, this.issuerCertificate);
    const crlDistributionPoint = requireHttpUrl(params.crlDistributionPoint);
    const subject = organizationAndCommonName(
      boundedNameAttribute(params.org.name, 'organization name'),
      boundedNameAttribute(commonName, 'common name'),
    );
    const serial = params.serialNumber ?? randomSerialNumber();
    const tbs = tbsCertificate({
      serialNumber: serialNumberField(fromHex(serial)),
      signature: SIGNATURE_ALGORITHM[this.signatureAlgorithm],
      issuer: this.issuerName,
      validity: validityField(notBefore, notAfter),
      subject,
      subjectPublicKeyInfo: params.subjectPublicKeyInfo,
      extensions: [
        BASIC_CONSTRAINTS_END_ENTITY,
        KEY_USAGE_DIGITAL_SIGNATURE,
        this.authorityKeyIdentifier,
        subjectKeyIdentifierExtension(subjectPublicKeyBits(params.subjectPublicKeyInfo)),
        subjectAltNameExtension(uri, email),
        crlDistributionPointsExtension(crlDistributionPoint),
      ],
    });
    return { tbs, serialNumber: serialHex(serial), notBefore, notAfter };
  }
}

/** The subjectPublicKey bits of a DER SPKI (already checked by requireKeyMatchesCiphersuite). */
function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = readElement(spki, 0);
  const parts = outer && readChildren(spki, outer, 2);
  const bits = parts?.[1];
  if (!bits || bits.tag !== 0x03 || bits.end - bits.contentStart < 1 || spki[bits.contentStart] !== 0) {
    throw new ProfileParameterError('subjectPublicKeyInfo is not a DER SubjectPublicKeyInfo');
  }
  return spki.subarray(bits.contentStart + 1, bits.end);
}

/** The serial as `X509Certificate.serialNumber` spells it, lowercased: the INTEGER's octets less a sign octet. */
function serialHex(magnitudeHex: string): string {
  const octets = serialNumberField(fromHex(magnitudeHex)).subarray(2);
  const shown = octets.length > 1 && octets[0] === 0 && octets[1] > 0x7f ? octets.subarray(1) : octets;
  return Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A signer over WebCrypto (or an external key's callback, see `externalSigningKey`): what the
 * reference path does, for keys the caller cannot hand over as a platform key object.
 */
export function cryptoKeySigner(key: CryptoKey, algorithm: IssuerSignatureAlgorithm): TbsSigner {
  const crypto = cryptoFor(key);
  const params = algorithm === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: algorithm === 'ECDSA-SHA384' ? 'SHA-384' : 'SHA-256' };
  return async (tbs) => {
    const raw = new Uint8Array(await crypto.subtle.sign(params, key, new Uint8Array(tbs)));
    return algorithm === 'Ed25519' ? raw : ecdsaSignatureDer(raw);
  };
}
