// The cipher suites this SDK can hold a signature key for, and how WebCrypto and JWS
// (RFC 7518 / RFC 8037) name that key: a view of the one table in libs/mls (the service
// certifies keys against the same table), in the shape the SDK's callers already use.
import {
  ciphersuiteSignature,
  MlsUnsupportedCiphersuiteError,
  SUPPORTED_CIPHERSUITES,
  webCryptoSignatureParams,
  type CiphersuiteSignature,
} from '#mls';
import { UnsupportedCiphersuite } from './errors.js';

export { SUPPORTED_CIPHERSUITES };

export interface CiphersuiteKeyParams {
  /** RFC 9420 §17.1 registry value. */
  readonly code: number;
  /** ts-mls name of the suite. */
  readonly name: string;
  readonly generate: Algorithm | EcKeyGenParams;
  readonly sign: Algorithm | EcdsaParams;
  readonly importParams: Algorithm | EcKeyImportParams;
  /** JWS `alg` of device-signed requests. */
  readonly jwsAlg: 'EdDSA' | 'ES256' | 'ES384';
}

function keyParams(suite: CiphersuiteSignature): CiphersuiteKeyParams {
  return { code: suite.ciphersuite, name: suite.name, jwsAlg: suite.jwsAlg, ...webCryptoSignatureParams(suite.keyAlgorithm) };
}

export function ciphersuiteKeyParams(ciphersuite: number): CiphersuiteKeyParams {
  try {
    return keyParams(ciphersuiteSignature(ciphersuite));
  } catch (e) {
    if (e instanceof MlsUnsupportedCiphersuiteError) {
      throw new UnsupportedCiphersuite(`cipher suite ${ciphersuite} is not supported (supported: ${SUPPORTED_CIPHERSUITES.join(', ')})`);
    }
    throw e;
  }
}
