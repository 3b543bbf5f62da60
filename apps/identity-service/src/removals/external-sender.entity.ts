import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ExternalSenderStatus = 'current' | 'retiring' | 'retired';

/**
 * The org's MLS external sender for one ciphersuite (RFC 9420 §12.1.8.1): a signature key in
 * custody (only its id and public half are here) and the org CA's certificate for it.
 */
@Entity('mls_external_sender')
export class MlsExternalSender {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('int') ciphersuite: number;
  @Column('uuid', { name: 'key_id' }) keyId: string;
  /** The raw MLS signature key (Ed25519 32 bytes, P-256 uncompressed point). */
  @Column('bytea', { name: 'signature_key' }) signatureKey: Buffer;
  @Column('uuid', { name: 'certificate_id' }) certificateId: string;
  /** RFC 9420 §5.3 x509 Credential bytes. */
  @Column('bytea') credential: Buffer;
  @Column('timestamptz', { name: 'not_after' }) notAfter: Date;
  /**
   * `current`: the sender new groups list and new Removes are signed with where a group lists
   * it; `retiring`: replaced by a rotation, still signing for groups that have not committed the
   * swap; `retired`: its key is retired in custody.
   */
  @Column('text') status: ExternalSenderStatus;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
