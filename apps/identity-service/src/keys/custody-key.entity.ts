import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type KeyAlgorithm = 'Ed25519' | 'ECDSA-P256' | 'ECDSA-P384';

@Entity('custody_key')
export class CustodyKey {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id', nullable: true }) orgId: string | null;
  @Column('text') purpose: string;
  @Column('text') algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  @Column('bytea', { name: 'public_key' }) publicKey: Buffer;
  /** PKCS#8 DER sealed with AES-256-GCM under the KEK, bound to this row's id. */
  @Column('bytea', { name: 'private_key_sealed' }) privateKeySealed: Buffer;
  @Column('text', { default: 'active' }) status: 'active' | 'retired';
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
}
