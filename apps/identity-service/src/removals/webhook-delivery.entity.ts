import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One webhook message to one delivery-service client and what became of it. */
@Entity('webhook_delivery')
export class WebhookDelivery {
  /** The Standard Webhooks `webhook-id`: the same on every retry and replay of the message. */
  @PrimaryColumn('text') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('uuid', { name: 'ds_client_id' }) dsClientId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  @Column('jsonb') payload: Record<string, unknown>;
  @Column('text') status: 'pending' | 'delivered' | 'failed';
  @Column('int') attempts: number;
  @Column('int', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
