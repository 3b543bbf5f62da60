import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('audit_event')
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('uuid', { name: 'org_id', nullable: true }) orgId: string | null;
  /** Who acted: `admin:bootstrap`, `scim-token:{id}`, `ds-client:{id}`, `device:{id}`, `system`. */
  @Column('text') actor: string;
  @Column('text') action: string;
  @Column('text') target: string;
  /** Never secrets: callers pass only identifiers and non-secret fields. */
  @Column('jsonb', { default: {} }) details: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
