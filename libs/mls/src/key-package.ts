// RFC 9420 §10 KeyPackage: what a delivery service must check before an Add: the
// KeyPackage signature (§10.1, by the leaf's signature key) and the LeafNode signature
// (§7.2). The credential itself is judged by the caller (x509-profile, account status).
import type { CiphersuiteName, Credential, KeyPackage, MLSMessage } from 'ts-mls';
import { makeKeyPackageRef, verifyKeyPackage } from 'ts-mls/keyPackage.js';
import { verifyLeafNodeSignatureKeyPackage } from 'ts-mls/leafNode.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsSignatureInvalidError } from './errors.js';
import { decodeMlsMessageBytes, keyPackageOf } from './mls-message.js';

export interface InspectedKeyPackage {
  keyPackage: KeyPackage;
  cipherSuite: CiphersuiteName;
  credential: Credential;
  signaturePublicKey: Uint8Array;
  /** §5.2 KeyPackageRef, by which a Welcome names its recipient */
  keyPackageRef: Uint8Array;
}

/** Decodes a KeyPackage MLSMessage and verifies both of its signatures. */
export async function inspectKeyPackage(message: Uint8Array | MLSMessage): Promise<InspectedKeyPackage> {
  const keyPackage = keyPackageOf(message instanceof Uint8Array ? decodeMlsMessageBytes(message) : message);
  const cs = await ciphersuiteImpl(keyPackage.cipherSuite);
  let valid = false;
  try {
    valid = (await verifyKeyPackage(keyPackage, cs.signature)) && (await verifyLeafNodeSignatureKeyPackage(keyPackage.leafNode, cs.signature));
  } catch {
    valid = false;
  }
  if (!valid) throw new MlsSignatureInvalidError('KeyPackage or its LeafNode signature does not verify');
  return {
    keyPackage,
    cipherSuite: keyPackage.cipherSuite,
    credential: keyPackage.leafNode.credential,
    signaturePublicKey: keyPackage.leafNode.signaturePublicKey,
    keyPackageRef: await makeKeyPackageRef(keyPackage, cs.hash),
  };
}
