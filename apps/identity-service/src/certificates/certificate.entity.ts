import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('certificate')
export class Certificate {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  /** Null for the service's own certificates (e.g. the MLS external sender). */
  @Column('uuid', { name: 'device_id', nullable: true }) deviceId: string | null;
  @Column('uuid', { name: 'ca_id' }) caId: string;
  /** Hex, as in the CRL. */
  @Column('text') serial: string;
  @Column('bytea') der: Buffer;
  @Column('bytea') sha256: Buffer;
  @Column('bytea', { name: 'subject_key_sha256' }) subjectKeySha256: Buffer;
  @Column('timestamptz', { name: 'not_before' }) notBefore: Date;
  @Column('timestamptz', { name: 'not_after' }) notAfter: Date;
  @Column('text', { default: 'active' }) status: 'active' | 'revoked' | 'superseded';
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  /** RFC 5280 §5.3.1 CRLReason code. */
  @Column('int', { name: 'revocation_reason', nullable: true }) revocationReason: number | null;
  @Column('uuid', { name: 'superseded_by', nullable: true }) supersededBy: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
