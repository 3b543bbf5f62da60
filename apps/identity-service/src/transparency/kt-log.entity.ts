import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? v : Number(v)) };

/** The state of one org's log: what the latest checkpoint signs. Only the sequencer writes it. */
@Entity('kt_log')
export class KtLog {
  @PrimaryColumn('uuid', { name: 'org_id' }) orgId: string;
  /** Checkpoint origin and signing-key name, fixed when the log is created: `{host}/kt/{slug}`. */
  @Column('text') origin: string;
  /** The org's Ed25519 log key in the KeyStore (purpose `kt-log`). */
  @Column('uuid', { name: 'key_id' }) keyId: string;
  /** During a log key rotation's overlap: the new key, countersigning every checkpoint until `overlapUntil`. */
  @Column('uuid', { name: 'next_key_id', nullable: true }) nextKeyId: string | null;
  @Column('timestamptz', { name: 'overlap_until', nullable: true }) overlapUntil: Date | null;
  @Column('bigint', { transformer: bigintAsNumber }) size: number;
  @Column('bytea', { name: 'root_hash' }) rootHash: Buffer;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** A signed checkpoint (c2sp.org/tlog-checkpoint), kept so that old ones can be shown to auditors. */
@Entity('kt_checkpoint')
export class KtCheckpoint {
  @PrimaryColumn('uuid', { name: 'org_id' }) orgId: string;
  @PrimaryColumn('bigint', { transformer: bigintAsNumber }) size: number;
  @Column('bytea', { name: 'root_hash' }) rootHash: Buffer;
  /** The signed note exactly as served by GET /kt/{org}/checkpoint. */
  @Column('text') note: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
