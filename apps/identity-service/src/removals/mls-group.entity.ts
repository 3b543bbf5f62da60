import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A group as its delivery service last reported it (a verified GroupInfo with ratchet tree). */
@Entity('mls_group')
export class MlsGroup {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  /** RFC 9420 GroupContext.group_id (opaque bytes). */
  @Column('bytea', { name: 'group_id' }) groupId: Buffer;
  @Column('int') ciphersuite: number;
  @Column('bigint') epoch: string;
  /** The last verified GroupInfo MLSMessage. */
  @Column('bytea', { name: 'group_info' }) groupInfo: Buffer;
  /** Its GroupContext alone (RFC 9420 §8.1): all that signing a proposal needs, without the tree. */
  @Column('bytea', { name: 'group_context' }) groupContext: Buffer;
  /** False: the group does not list our external sender, so removals cannot reach it. */
  @Column('boolean', { name: 'external_sender_listed' }) externalSenderListed: boolean;
  /** The delivery-service client that registered the group: only it reports, authorizes, audits and sees its removals. */
  @Column('uuid', { name: 'ds_client_id', nullable: true }) dsClientId: string | null;
  /** Why a report could not show it descends from the stored state (epoch_fork, continuity_unproven); null: never. */
  @Column('text', { name: 'continuity_flag', nullable: true }) continuityFlag: string | null;
  @Column('bigint', { name: 'continuity_flagged_epoch', nullable: true }) continuityFlaggedEpoch: string | null;
  @Column('timestamptz', { name: 'continuity_flagged_at', nullable: true }) continuityFlaggedAt: Date | null;
  /** Set by an org admin: the owner's next report re-bases the group (checked like a first report). */
  @Column('text', { name: 'rebase_authorized_by', nullable: true }) rebaseAuthorizedBy: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** One occupied leaf of a group's tree, mapped to the device its credential names. */
@Entity('mls_group_member')
export class MlsGroupMember {
  @PrimaryColumn('uuid', { name: 'group_ref' }) groupRef: string;
  @PrimaryColumn('int', { name: 'leaf_index' }) leafIndex: number;
  /** SHA-256 of the leaf certificate; null for a non-x509 credential. */
  @Column('bytea', { nullable: true }) fingerprint: Buffer | null;
  @Column('uuid', { name: 'device_id', nullable: true }) deviceId: string | null;
  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  /** The credential's identity URI, or why there is none. */
  @Column('text', { nullable: true }) identity: string | null;
}

/** Accounts allowed to remove others and change the group's extensions (the room-admin policy). */
@Entity('mls_room_admin')
export class MlsRoomAdmin {
  @PrimaryColumn('uuid', { name: 'group_ref' }) groupRef: string;
  @PrimaryColumn('uuid', { name: 'account_id' }) accountId: string;
  @Column('text', { name: 'granted_by' }) grantedBy: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
