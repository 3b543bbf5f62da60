import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One of an org's CAs: a root, or an intermediate that signs device certificates. */
@Entity('ca')
export class OrgCa {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text') kind: 'root' | 'intermediate';
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId: string | null;
  /** The private key, in custody (KeyStore). */
  @Column('uuid', { name: 'key_id' }) keyId: string;
  @Column('bytea') der: Buffer;
  @Column('bytea') sha256: Buffer;
  @Column('text') serial: string;
  @Column('timestamptz', { name: 'not_before' }) notBefore: Date;
  @Column('timestamptz', { name: 'not_after' }) notAfter: Date;
  /** `retired`: rotated out, still trusted until what it signed expires; signs nothing new. */
  @Column('text', { default: 'active' }) status: 'active' | 'retired' | 'revoked';
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('int', { name: 'revocation_reason', nullable: true }) revocationReason: number | null;
  @Column('bigint', { name: 'crl_number', default: 0 }) crlNumber: string;
  @Column('bytea', { name: 'crl_der', nullable: true }) crlDer: Buffer | null;
  @Column('timestamptz', { name: 'crl_this_update', nullable: true }) crlThisUpdate: Date | null;
  @Column('timestamptz', { name: 'crl_next_update', nullable: true }) crlNextUpdate: Date | null;
  /** Set when a revocation made the CRL out of date; cleared by the refresh. */
  @Column('timestamptz', { name: 'crl_stale_since', nullable: true }) crlStaleSince: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
