import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type KeyAlgorithm = 'Ed25519' | 'ECDSA-P256' | 'ECDSA-P384';
export type KeyCustody = 'database' | 'pkcs11';

@Entity('custody_key')
export class CustodyKey {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id', nullable: true }) orgId: string | null;
  @Column('text') purpose: string;
  @Column('text') algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  @Column('bytea', { name: 'public_key' }) publicKey: Buffer;
  /** Where the private key lives: sealed in this row, or in the PKCS#11 token (CKA_ID = id). */
  @Column('text', { default: 'database' }) custody: KeyCustody;
  /** PKCS#8 DER sealed with AES-256-GCM under the KEK, bound to this row's id; null in a token. */
  @Column('bytea', { name: 'private_key_sealed', nullable: true }) privateKeySealed: Buffer | null;
  @Column('text', { default: 'active' }) status: 'active' | 'retired';
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
}
