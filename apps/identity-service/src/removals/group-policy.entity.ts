import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MembershipPolicy } from '../orgs/index.js';

/** A group's own membership policy, overriding the org default (no row: the default applies). */
@Entity('mls_group_policy')
export class MlsGroupPolicy {
  @PrimaryColumn('uuid', { name: 'group_ref' }) groupRef: string;
  @Column('text') membership: MembershipPolicy;
  /** The actor (org admin or room admin's account) who set it. */
  @Column('text', { name: 'set_by' }) setBy: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
