import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('org')
export class Org {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** The org's name in URLs (`/scim/v2/{slug}`, `/kt/{slug}`) and in certificate SAN URIs. */
  @Column('text') slug: string;
  @Column('text') name: string;
  /** Org policy as data (validated by OrgSettings), never as code paths per org. */
  @Column('jsonb', { default: {} }) settings: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
