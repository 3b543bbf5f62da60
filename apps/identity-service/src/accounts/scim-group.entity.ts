import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A group the IdP pushes over SCIM; its members are rows of scim_group_member. */
@Entity('scim_group')
export class ScimGroup {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text', { name: 'display_name' }) displayName: string;
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  /** The SCIM representation without members, id and meta. */
  @Column('jsonb', { default: {} }) resource: Record<string, unknown>;
  /** Bumped on every change: the SCIM ETag (W/"version"). */
  @Column('int', { default: 1 }) version: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
