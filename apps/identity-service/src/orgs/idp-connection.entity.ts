import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type IdpKind = 'okta' | 'entra' | 'oidc';

@Entity('idp_connection')
export class IdpConnection {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('text') name: string;
  @Column('text') kind: IdpKind;
  @Column('text') issuer: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  /** Sealed under the KEK (keys/secret-box); never returned by the API. */
  @Column('bytea', { name: 'client_secret_sealed', nullable: true }) clientSecretSealed: Buffer | null;
  @Column('jsonb', { name: 'claim_mapping', default: {} }) claimMapping: Record<string, string>;
  @Column('text', { name: 'allowed_tenants', array: true, default: [] }) allowedTenants: string[];
  @Column('boolean', { name: 'require_mfa', default: false }) requireMfa: boolean;
  /**
   * A first enrollment may bind an unbound account whose userName or email is the person's
   * email (or UPN), when the IdP says the email is verified (`email_verified`, Entra `xms_edov`).
   * Off: only the subject or the SCIM externalId the IdP provisioned binds an account.
   */
  @Column('boolean', { name: 'match_by_verified_email', default: false }) matchByVerifiedEmail: boolean;
  /** Client ids of the org's native apps (public clients): their ID tokens may enroll too. */
  @Column('text', { name: 'native_client_ids', array: true, default: [] }) nativeClientIds: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
