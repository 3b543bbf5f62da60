import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type DeviceStatus = 'active' | 'revoked' | 'expired';

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
  /** `expired`: the certificate lapsed and the org's grace passed (the lifecycle sweep). */
  @Column('text', { default: 'active' }) status: DeviceStatus;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revocation_reason', nullable: true }) revocationReason: string | null;
  @Column('timestamptz', { name: 'expired_at', nullable: true }) expiredAt: Date | null;
  /** notAfter of the device's newest certificate, written at each issuance (the sweep's index). */
  @Column('timestamptz', { name: 'credential_not_after', nullable: true }) credentialNotAfter: Date | null;
  /** When the device last signed in at the IdP; renewal policy may require a recent one. */
  @Column('timestamptz', { name: 'authenticated_at', default: () => 'now()' }) authenticatedAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
