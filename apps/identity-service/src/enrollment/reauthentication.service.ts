import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DEVICE_AUTH_SCHEME, DeviceSignatureError, leafOf, reauthenticationNonce, verifyDeviceRequest, type DeviceRequestClaims } from '#protocol';
import { AccountDirectory } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import { CertificatesService, reasonName, type Certificate, type IssuedChain } from '../certificates/index.js';
import { DeviceErrors, DevicesService } from '../devices/index.js';
import type { Org } from '../orgs/index.js';
import { bindAccount } from './account-binding.js';
import { DeviceCertificationService } from './device-certification.service.js';
import { DeviceEnrollmentService } from './device-enrollment.service.js';
import { refuse } from './enrollment.errors.js';
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { spendIdToken } from './oidc/id-token-replay.js';
import { checkDeviceAllowed, enrollmentPolicyOf } from './policy/enrollment-policy.js';

export interface ReauthenticationInput {
  deviceId: string;
  idToken: string;
  idpConnection?: string;
  /** The `Authorization` header: `MLS-Device <JWS>` by the device's current key. */
  authorization: string | undefined;
  /** What the signature must cover. */
  request: { method: string; pathWithQuery: string; body: Uint8Array | undefined };
}

/**
 * Re-authentication: an enrolled device whose renewal needs a fresh IdP sign-in
 * (`reauthenticateAfterDays`), or whose certificate lapsed while it was offline, signs in
 * again and keeps its identity — same device id, same identity URI, same key — instead of
 * enrolling as a new device. Two proofs, bound to each other:
 * - the key: an MLS-Device signature over this request by the device's current key, with
 *   any certificate we issued to this device for that key (expired or superseded ones too:
 *   the signature, not the certificate's validity, proves possession);
 * - the person: an ID token of the org's IdP whose nonce is reauthenticationNonce(key, the
 *   signature's jti), spent once like an enrollment's, for the device's own account, which
 *   must be active.
 * Then, in one transaction: the current certificate is superseded, a new one issued, the
 * sign-in time restarts the re-authentication clock, and the audit log records it.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly authenticator: IdTokenAuthenticator,
    private readonly devices: DevicesService,
    private readonly accounts: AccountDirectory,
    private readonly certificates: CertificatesService,
    private readonly certification: DeviceCertificationService,
    private readonly enrollment: DeviceEnrollmentService,
    private readonly audit: AuditService,
  ) {}

  async reauthenticate(org: Org, input: ReauthenticationInput): Promise<IssuedChain> {
    const context: { flow: string; subject?: string } = { flow: 'reauthenticate' };
    return this.enrollment.audited(org, context, async () => {
      const { certificate, claims } = await this.keyProof(org, input);
      const key = await this.deviceKey(org, input.deviceId);
      if (!certificate.subjectKeySha256.equals(key.sha256))
        refuse('device_key_proof_invalid', 'the request is signed with a key the device no longer holds');
      const policy = enrollmentPolicyOf(org.settings);
      // The app asked for this sign-in, as in native enrollment: an auth_time it carries is held to
      // the org's limit (always, where the connection requires MFA), or an old SSO session would
      // vouch for the person anew.
      const person = await this.authenticator.authenticateWithNonce(
        org,
        input.idToken,
        reauthenticationNonce(key.spki, claims.jti),
        input.idpConnection,
        { maxAgeS: policy.maxSignInAgeS, required: false },
      );
      context.subject = person.identity.subject;
      return this.dataSource.transaction(async (m) => {
        await spendIdToken(m, org.id, person.claims, input.idToken);
        // The person's account, found as enrollment finds it, by the same binding rules (never created here).
        const { account } = await bindAccount(m, this.accounts, this.audit, org.id, person, { ...policy, allowJitAccounts: false });
        const device = await this.devices.lockActive(m, org.id, input.deviceId);
        if (device.accountId !== account.id) refuse('not_device_owner', "the signed-in person is not this device's account");
        // The key may have rotated since the signature was checked: decide under the lock.
        if (!certificate.subjectKeySha256.equals(device.signatureKeySha256)) {
          refuse('device_key_proof_invalid', 'the request is signed with a key the device no longer holds');
        }
        checkDeviceAllowed(policy, device);
        const previous = await this.certificates.supersedeCurrentOf(m, device.id);
        const issued = await this.certification.issue(m, { org, account, device, event: 'certificate_renewed' });
        await this.certificates.recordSuccessor(m, previous, issued.certificateId);
        await this.devices.recordSignIn(m, device.id, new Date());
        await this.audit.record(m, {
          orgId: org.id,
          actor: `idp-subject:${person.identity.subject}`,
          action: 'device.reauthenticate',
          target: `device:${device.id}`,
          details: { certificateId: issued.certificateId, supersedes: previous, idpConnection: person.connection.id },
        });
        return issued;
      });
    });
  }

  /** The MLS-Device signature: verified with a certificate of this very device, for this request. */
  private async keyProof(org: Org, input: ReauthenticationInput): Promise<{ certificate: Certificate; claims: DeviceRequestClaims }> {
    const header = input.authorization;
    if (!header?.startsWith(`${DEVICE_AUTH_SCHEME} `)) {
      refuse('device_key_proof_invalid', `send Authorization: ${DEVICE_AUTH_SCHEME} signed with the device key`);
    }
    const jws = header.slice(DEVICE_AUTH_SCHEME.length + 1).trim();
    try {
      const { leafDer } = leafOf(jws);
      const certificate = await this.certificates.findBySha256(createHash('sha256').update(leafDer).digest());
      if (!certificate || certificate.orgId !== org.id || certificate.deviceId !== input.deviceId) {
        refuse('device_key_proof_invalid', 'the signing certificate is not one of this device');
      }
      // A certificate revoked because its key leaked proves nothing (its device is revoked anyway).
      if (certificate.status === 'revoked' && reasonName(certificate.revocationReason) === 'keyCompromise') {
        refuse('device_key_proof_invalid', 'the signing certificate was revoked for key compromise');
      }
      const claims = await verifyDeviceRequest(jws, leafDer, input.request);
      return { certificate, claims };
    } catch (e) {
      if (e instanceof DeviceSignatureError) refuse('device_key_proof_invalid', e.message, { signature: e.reason });
      throw e;
    }
  }

  /** The device's current key (SPKI DER, and its hash): what the nonce binds. 404 for a device not in the org. */
  private async deviceKey(org: Org, deviceId: string): Promise<{ spki: Uint8Array; sha256: Buffer }> {
    const device = await this.devices.find(this.dataSource.manager, org.id, deviceId);
    if (!device) throw DeviceErrors.error('device_not_found', `no device ${deviceId}`);
    return { spki: new Uint8Array(device.signatureKey), sha256: device.signatureKeySha256 };
  }
}
