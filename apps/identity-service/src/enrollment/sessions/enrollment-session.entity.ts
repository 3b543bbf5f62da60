import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type EnrollmentFlow = 'redirect' | 'device';
export type EnrollmentSessionStatus = 'pending' | 'completed' | 'failed';

/**
 * A sign-in in progress for the browser-redirect or device flow. Kept in the database so
 * that the IdP's callback or the device's next poll may reach any replica, even after a
 * restart. Secrets are stored hashed (the enrollment secret) or sealed (PKCE verifier,
 * device_code), never in the clear.
 */
@Entity('enrollment_session')
export class EnrollmentSession {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'org_id' }) orgId: string;
  @Column('uuid', { name: 'idp_connection_id' }) idpConnectionId: string;
  @Column('text') flow: EnrollmentFlow;
  @Column('text', { default: 'pending' }) status: EnrollmentSessionStatus;
  @Column('bytea', { name: 'secret_hash' }) secretHash: Buffer;
  @Column('text', { nullable: true }) state: string | null;
  @Column('text') nonce: string;
  @Column('bytea', { name: 'code_verifier_sealed', nullable: true }) codeVerifierSealed: Buffer | null;
  @Column('bytea', { name: 'device_code_sealed', nullable: true }) deviceCodeSealed: Buffer | null;
  @Column('text', { name: 'user_code', nullable: true }) userCode: string | null;
  @Column('text', { name: 'verification_uri', nullable: true }) verificationUri: string | null;
  @Column('text', { name: 'verification_uri_complete', nullable: true }) verificationUriComplete: string | null;
  @Column('int', { name: 'poll_interval_s', nullable: true }) pollIntervalS: number | null;
  @Column('timestamptz', { name: 'next_poll_at', nullable: true }) nextPollAt: Date | null;
  @Column('bytea') csr: Buffer;
  @Column('text', { name: 'device_name' }) deviceName: string;
  @Column('text') platform: string;
  @Column('int') ciphersuite: number;
  /** The enrollment result (chain, credential, device id) once completed. */
  @Column('jsonb', { nullable: true }) result: Record<string, unknown> | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  @Column('text', { name: 'failure_detail', nullable: true }) failureDetail: string | null;
  /** SHA-256 of the normalized code the enrolling device shows; the person confirms it. */
  @Column('bytea', { name: 'confirmation_code_hash', nullable: true }) confirmationCodeHash: Buffer | null;
  @Column('int', { name: 'confirmation_attempts', default: 0 }) confirmationAttempts: number;
  /** The client address that started the enrollment, shown on the confirmation page. */
  @Column('text', { name: 'requested_from', nullable: true }) requestedFrom: string | null;
  /** Device flow: where the activation page sends the browser to sign in. */
  @Column('text', { name: 'authorization_url', nullable: true }) authorizationUrl: string | null;
  /** Device flow: SHA-256 of the cookie given to the browser that typed the code. */
  @Column('bytea', { name: 'browser_binding_hash', nullable: true }) browserBindingHash: Buffer | null;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
