import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('account')
export class Account {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text', { name: 'user_name' }) userName: string;
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  @Column('text', { name: 'display_name', nullable: true }) displayName: string | null;
  /** The primary (work) email or UPN: the certificate's rfc822Name. */
  @Column('text', { nullable: true }) email: string | null;
  @Column('boolean', { default: true }) active: boolean;
  /** The SCIM representation as last written by the IdP (core + extensions, no meta). */
  @Column('jsonb', { default: {} }) resource: Record<string, unknown>;
  /** Bumped on every change: the SCIM ETag (W/"version"). */
  @Column('int', { default: 1 }) version: number;
  @Column('timestamptz', { name: 'deprovisioned_at', nullable: true }) deprovisionedAt: Date | null;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt: Date | null;
  /** An admin suspended the account by hand: it stays inactive, whatever the IdP sends, until an admin resumes it. */
  @Column('timestamptz', { name: 'suspended_at', nullable: true }) suspendedAt: Date | null;
  @Column('text', { name: 'suspended_by', nullable: true }) suspendedBy: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
