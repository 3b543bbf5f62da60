import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A delivery service of the org: it reads removals and asks for validation and authorization. */
@Entity('ds_client')
export class DsClient {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('text', { name: 'token_prefix' }) tokenPrefix: string;
  @Column('text', { name: 'webhook_url', nullable: true }) webhookUrl: string | null;
  /** The webhook event types it subscribed to; null: the default set (removals.proposed). */
  @Column('text', { name: 'webhook_events', array: true, nullable: true }) webhookEvents: string[] | null;
  /** The webhook signing secret must be usable by us, so it is sealed rather than hashed. */
  @Column('bytea', { name: 'webhook_secret_sealed' }) webhookSecretSealed: Buffer;
  /** After a rotation, the previous token's hash stays valid until the overlap ends. */
  @Column('bytea', { name: 'previous_token_hash', nullable: true }) previousTokenHash: Buffer | null;
  @Column('timestamptz', { name: 'previous_token_expires_at', nullable: true }) previousTokenExpiresAt: Date | null;
  /** After a rotation, webhooks are signed with the previous secret too until the overlap ends. */
  @Column('bytea', { name: 'previous_webhook_secret_sealed', nullable: true }) previousWebhookSecretSealed: Buffer | null;
  @Column('timestamptz', { name: 'previous_webhook_secret_expires_at', nullable: true }) previousWebhookSecretExpiresAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
