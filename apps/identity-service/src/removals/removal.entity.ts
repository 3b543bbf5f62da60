import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RemovalStatus = 'pending' | 'delivered' | 'committed' | 'superseded';

/** One signed external Remove proposal for one (group, epoch, leaf); ids are the feed cursor. */
@Entity('removal')
export class Removal {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('uuid', { name: 'group_ref' }) groupRef: string;
  @Column('bigint') epoch: string;
  @Column('int', { name: 'leaf_index' }) leafIndex: number;
  @Column('uuid', { name: 'device_id' }) deviceId: string;
  @Column('text') reason: string;
  /** MLSMessage bytes of the PublicMessage proposal. */
  @Column('bytea') proposal: Buffer;
  /** RFC 9420 §5.2 ProposalRef, by which a commit includes it. */
  @Column('bytea', { name: 'proposal_ref' }) proposalRef: Buffer;
  @Column('text') status: RemovalStatus;
  /** When the removal of this member was first planned (kept across re-signing). */
  @Column('timestamptz', { name: 'planned_at' }) plannedAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('timestamptz', { name: 'committed_at', nullable: true }) committedAt: Date | null;
  @Column('timestamptz', { name: 'superseded_at', nullable: true }) supersededAt: Date | null;
  @Column('bigint', { name: 'superseded_by', nullable: true }) supersededBy: string | null;
}
