// RFC 9420 §5.1.2 SignWithLabel:
//   struct { opaque label<V>; opaque content<V>; } SignContent;   label = "MLS 1.0 " + Label
//   SignWithLabel(SignatureKey, Label, Content) = Signature.Sign(SignatureKey, SignContent)
// The glue builds SignContent; the signature primitive is the caller's (a key-custody service
// holding the private key), so private key bytes never pass through this library.
import { concatBytes, encodeVector } from './presentation-language.js';

/**
 * Signs the §5.1.2 SignContent bytes with the signature scheme of the group's ciphersuite:
 * Ed25519 over the bytes, or ECDSA with the suite's hash and a DER-encoded signature (what
 * ts-mls and other MLS stacks produce and expect for P-256/P-384).
 */
export type MlsSigner = (signContent: Uint8Array) => Promise<Uint8Array>;

export function signContent(label: string, content: Uint8Array): Uint8Array {
  return concatBytes([encodeVector(new TextEncoder().encode(`MLS 1.0 ${label}`)), encodeVector(content)]);
}

export async function signWithLabel(signer: MlsSigner, label: string, content: Uint8Array): Promise<Uint8Array> {
  return signer(signContent(label, content));
}
