import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One audit entry. Rows are written only by `AuditService.record` (raw SQL, chained); never updated. */
@Entity('audit_event')
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('uuid', { name: 'org_id', nullable: true }) orgId: string | null;
  /** Who acted: `admin:{idp identity}`, `admin:bootstrap`, `scim-token:{id}`, `ds-client:{id}`, `device:{id}`, `idp-subject:{sub}`, `system`. */
  @Column('text') actor: string;
  /** The admin's roles, or the principal's kind (`scim`, `ds`, `device`, …) for other callers. */
  @Column('text', { name: 'actor_roles', array: true }) actorRoles: string[];
  /** How an admin authenticated (`break-glass`, `session`, `bearer`); null for other callers. */
  @Column('text', { name: 'actor_via', nullable: true }) actorVia: string | null;
  @Column('text', { name: 'source_ip', nullable: true }) sourceIp: string | null;
  @Column('text', { name: 'request_id', nullable: true }) requestId: string | null;
  @Column('text') action: string;
  /** `{type}:{id}`. */
  @Column('text') target: string;
  /** Never secrets: callers pass only identifiers and non-secret fields, and `record` scrubs token-like values. */
  @Column('jsonb', { default: {} }) details: Record<string, unknown>;
  @Column('jsonb', { nullable: true }) before: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) after: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('smallint', { name: 'chain_version' }) chainVersion: number;
  /** Position in the org's chain, from 1. */
  @Column('bigint') seq: string;
  @Column('bytea', { name: 'prev_hash' }) prevHash: Buffer;
  @Column('bytea') hash: Buffer;
}
