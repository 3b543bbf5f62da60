// RFC 9420 §5.3 Credential, encoded by the glue wherever it must control the bytes itself
// (inside external_senders). Only the two RFC credential types ts-mls models are accepted.
import type { Credential } from 'ts-mls';
import { MlsInvalidArgumentError } from './errors.js';
import { concatBytes, encodeUint16, encodeVector, type PresentationReader } from './presentation-language.js';

/** §17.5 MLS Credential Types registry values. */
export const CREDENTIAL_TYPE = { basic: 0x0001, x509: 0x0002 } as const;

export function encodeCredential(credential: Credential): Uint8Array {
  switch (credential.credentialType) {
    case 'basic':
      return concatBytes([encodeUint16(CREDENTIAL_TYPE.basic), encodeVector(credential.identity)]);
    case 'x509':
      return concatBytes([encodeUint16(CREDENTIAL_TYPE.x509), encodeVector(concatBytes(credential.certificates.map((der) => encodeVector(der))))]);
    default:
      throw new MlsInvalidArgumentError(`credential type ${String((credential as { credentialType: unknown }).credentialType)} is not supported`);
  }
}

export function readCredential(r: PresentationReader): Credential {
  const type = r.uint16();
  switch (type) {
    case CREDENTIAL_TYPE.basic:
      return { credentialType: 'basic', identity: r.vector() };
    case CREDENTIAL_TYPE.x509:
      return { credentialType: 'x509', certificates: r.vectorOf((c) => c.vector()) };
    default:
      return r.fail(`unsupported credential type 0x${type.toString(16).padStart(4, '0')}`);
  }
}
