import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('device')
export class Device {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('uuid', { name: 'account_id' }) accountId: string;
  @Column('text') name: string;
  @Column('text') platform: string;
  /** RFC 9420 CipherSuite code point (0x0001 ...). */
  @Column('int') ciphersuite: number;
  /** The MLS signature key as SubjectPublicKeyInfo, DER. */
  @Column('bytea', { name: 'signature_key' }) signatureKey: Buffer;
  @Column('bytea', { name: 'signature_key_sha256' }) signatureKeySha256: Buffer;
  @Column('text', { default: 'active' }) status: 'active' | 'revoked';
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revocation_reason', nullable: true }) revocationReason: string | null;
  /** When the device last signed in at the IdP; renewal policy may require a recent one. */
  @Column('timestamptz', { name: 'authenticated_at', default: () => 'now()' }) authenticatedAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
