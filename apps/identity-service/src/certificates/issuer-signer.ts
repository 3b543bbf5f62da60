import { KeyObject, sign } from 'node:crypto';
import { cryptoKeySigner, isExternalSigningKey, type IssuerSignatureAlgorithm, type TbsSigner } from '#x509-profile';

const HASH: Record<IssuerSignatureAlgorithm, string | null> = { Ed25519: null, 'ECDSA-SHA256': 'sha256', 'ECDSA-SHA384': 'sha384' };

/**
 * Signs certificates with the issuer's key. A key held in this process (a WebCrypto key
 * unsealed from the database) is signed with directly through its node:crypto KeyObject,
 * synchronously: WebCrypto would queue each signature on the thread pool and convert ECDSA
 * signatures from r‖s back to DER. A key held elsewhere (PKCS#11) keeps its own callback.
 */
export function issuerSigner(privateKey: CryptoKey, algorithm: IssuerSignatureAlgorithm): TbsSigner {
  if (isExternalSigningKey(privateKey)) return cryptoKeySigner(privateKey, algorithm);
  const key = KeyObject.from(privateKey);
  const hash = HASH[algorithm];
  if (hash === null) return (tbs) => sign(null, tbs, key);
  return (tbs) => sign(hash, tbs, { key, dsaEncoding: 'der' });
}
