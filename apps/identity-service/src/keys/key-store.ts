import type { EntityManager } from 'typeorm';
import type { KeyAlgorithm, KeyCustody } from './custody-key.entity.js';

export type { KeyAlgorithm, KeyCustody };

export interface KeyHandle {
  id: string;
  orgId: string | null;
  purpose: string;
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  publicKey: Uint8Array;
  /** Where the private key is: sealed in the database, or in the PKCS#11 token. */
  custody: KeyCustody;
  status: 'active' | 'retired';
  createdAt: Date;
}

export interface SignOptions {
  /** ECDSA only: `der` (X.509, MLS) or `ieee-p1363` (JOSE r‖s). Ignored for Ed25519. */
  dsaEncoding?: 'der' | 'ieee-p1363';
}

/**
 * Key custody. CA, external-sender and log signing keys are created here and used only
 * through this interface: nothing outside it ever holds private key bytes.
 */
export interface KeyStore {
  /** With `manager`, the key row is written in the caller's transaction (e.g. org creation). */
  generate(orgId: string | null, purpose: string, algorithm: KeyAlgorithm, manager?: EntityManager): Promise<KeyHandle>;
  get(keyId: string, manager?: EntityManager): Promise<KeyHandle>;
  list(orgId: string | null, purpose?: string): Promise<KeyHandle[]>;
  /** Signs with the key's own hash: SHA-256 for Ed25519 (internal) and P-256, SHA-384 for P-384. */
  sign(keyId: string, data: Uint8Array, options?: SignOptions, manager?: EntityManager): Promise<Uint8Array>;
  /**
   * A non-extractable WebCrypto key for libraries that sign with a CryptoKey
   * (@peculiar/x509). WebCrypto refuses to export it, so custody holds.
   */
  signingCryptoKey(keyId: string, manager?: EntityManager): Promise<CryptoKey>;
  retire(keyId: string): Promise<void>;
}

export const KEY_STORE = Symbol('KeyStore');
