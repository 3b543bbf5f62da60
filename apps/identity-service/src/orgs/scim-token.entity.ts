import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('scim_token')
export class ScimToken {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text', { default: '' }) description: string;
  /** SHA-256 of the bearer token; the token itself is shown once and never stored. */
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('text', { name: 'token_prefix' }) tokenPrefix: string;
  /** After a rotation, the previous token's hash stays valid until the overlap ends. */
  @Column('bytea', { name: 'previous_token_hash', nullable: true }) previousTokenHash: Buffer | null;
  @Column('timestamptz', { name: 'previous_token_expires_at', nullable: true }) previousTokenExpiresAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
