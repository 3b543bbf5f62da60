import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountDirectory, AccountErrors, GroupDirectory } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import { asDomainError, statusOf } from '../common/errors/http-mapping.js';
import { DeviceErrors, DeviceLifecycleService, DeviceRevocationService, DevicesService, type Device } from '../devices/index.js';
import { effectiveSettings, type Org } from '../orgs/index.js';
import { ktAppend } from '../transparency/index.js';
import { bindAccount } from './account-binding.js';
import { AnonymousRefusals } from './limits/anonymous-refusals.service.js';
import { DeviceCertificationService } from './device-certification.service.js';
import { enrollmentResult, type EnrollmentResult } from './enrollment-result.js';
import type { EnrollmentFlow } from './sessions/enrollment-session.entity.js';
import type { AuthenticatedPerson } from './oidc/id-token-authenticator.js';
import { spendIdToken } from './oidc/id-token-replay.js';
import { devicesToRevokeForLimit, type EnrollmentPolicy } from './policy/enrollment-policy.js';

export interface DeviceToEnroll {
  deviceName: string;
  platform: string;
  ciphersuite: number;
  subjectPublicKeyInfo: Uint8Array;
  subjectPublicKeyInfoSha256: Uint8Array;
}

/** Reasons that are a state of a flow in progress, not a refusal: not audited. */
const NOT_REFUSALS = new Set(['authorization_pending', 'slow_down']);

/**
 * The end of every enrollment flow, in ONE transaction: the ID token spent, the account
 * found (or created just in time) and locked, the device limit applied, the device row, its
 * certificate from the CA, the `device_enrolled` and `certificate_issued` KT events and the
 * audit record. Any refusal rolls all of it back.
 */
@Injectable()
export class DeviceEnrollmentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountDirectory,
    private readonly groups: GroupDirectory,
    private readonly devices: DevicesService,
    private readonly certification: DeviceCertificationService,
    private readonly revocation: DeviceRevocationService,
    private readonly lifecycle: DeviceLifecycleService,
    private readonly audit: AuditService,
    private readonly anonymousRefusals: AnonymousRefusals,
  ) {}

  async enroll(
    m: EntityManager,
    e: { org: Org; policy: EnrollmentPolicy; person: AuthenticatedPerson; idToken: string; device: DeviceToEnroll; flow: EnrollmentFlow | 'native' },
  ): Promise<EnrollmentResult> {
    const { org, person, device } = e;
    const actor = `idp-subject:${person.identity.subject}`;
    // The key first: for a key that is already enrolled that is the answer the device can act on.
    const keyHash = Buffer.from(device.subjectPublicKeyInfoSha256);
    if (await this.devices.signatureKeyEverUsed(m, keyHash)) {
      throw DeviceErrors.error('signature_key_already_used', 'this signature key was enrolled before; a device must make a new key');
    }
    await spendIdToken(m, org.id, person.claims, e.idToken);
    const { account, matchedBy } = await bindAccount(m, this.accounts, this.audit, org.id, person, e.policy);
    await this.requireEntitled(m, org, account.id);

    // Devices whose certificate lapsed beyond the org's grace expire now, not at the next sweep: they count no more.
    await this.lifecycle.expireLapsedOfAccount(m, org, account.id);
    const active = await this.devices.activeOfAccounts(org.id, [account.id], m);
    const toRevoke = devicesToRevokeForLimit(
      e.policy,
      active.map((d) => d.id),
    );
    if (toRevoke.length > 0) {
      await this.revocation.revokeDevices(m, { orgId: org.id, deviceIds: toRevoke, reason: 'superseded', actor });
    }

    const enrolled: Pick<Device, 'id' | 'status' | 'ciphersuite' | 'signatureKey'> = {
      id: await this.devices.create(m, {
        orgId: org.id,
        accountId: account.id,
        name: device.deviceName,
        platform: device.platform,
        ciphersuite: device.ciphersuite,
        signatureKey: Buffer.from(device.subjectPublicKeyInfo),
        signatureKeySha256: keyHash,
      }),
      status: 'active',
      ciphersuite: device.ciphersuite,
      signatureKey: Buffer.from(device.subjectPublicKeyInfo),
    };
    const deviceId = enrolled.id;
    // `device_enrolled` goes into the same outbox INSERT as the certificate's own event.
    const chain = await this.certification.issue(m, {
      org,
      account,
      device: enrolled,
      alongside: (certificate) => [
        ktAppend({
          type: 'device_enrolled',
          orgId: org.id,
          accountId: account.id,
          deviceId,
          certificateSha256: certificate.sha256,
          signatureKeySha256: keyHash.toString('hex'),
          timestamp: new Date().toISOString(),
        }),
      ],
    });
    await this.audit.record(m, {
      orgId: org.id,
      actor,
      action: 'device.enroll',
      target: `device:${deviceId}`,
      details: {
        flow: e.flow,
        accountId: account.id,
        accountMatchedBy: matchedBy,
        idpConnection: person.connection.id,
        platform: device.platform,
        ciphersuite: device.ciphersuite,
        certificateSerial: chain.serial,
        ...(toRevoke.length > 0 ? { revokedForLimit: toRevoke.length } : {}),
        ...(person.identity.groupsOverage ? { groupsOverage: true } : {}),
      },
    });
    return enrollmentResult(deviceId, account.id, chain);
  }

  /**
   * The entitlement group is a precondition of every enrollment, just-in-time accounts included
   * (a new account is in no group, so an org with an entitlement group gets no JIT accounts).
   */
  async requireEntitled(m: EntityManager, org: Org, accountId: string): Promise<void> {
    const { entitlementGroupId, entitlementGroupDisplayName } = effectiveSettings(org.settings).scim;
    if (!(await this.groups.entitled(m, org.id, accountId, { id: entitlementGroupId, displayName: entitlementGroupDisplayName }))) {
      throw AccountErrors.error('account_not_entitled', "the account is not a member of the org's entitlement group");
    }
  }

  /**
   * Runs a step of an enrollment; a refusal (any domain or library error below 500, whichever
   * module raised it) is recorded in the audit log (outside the rolled-back transaction, so the
   * record survives) and rethrown for the HTTP answer.
   */
  async audited<T>(org: Org, context: { flow: string; enrollmentId?: string; subject?: string }, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      const refusal = asDomainError(err);
      if (refusal && statusOf(refusal) < 500 && !NOT_REFUSALS.has(refusal.code)) {
        await this.recordRefusal(org, context, refusal.code, refusal.message, refusal.details);
      }
      throw err;
    }
  }

  async recordRefusal(
    org: Org,
    context: { flow: string; enrollmentId?: string; subject?: string },
    reason: string,
    detail: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const target = context.enrollmentId ? `enrollment:${context.enrollmentId}` : `org:${org.id}`;
    if (!context.subject) {
      // Nobody signed in: counted per window rather than a row each (an attacker's flood is free).
      const { retryAfterSeconds: _retry, ...details } = extra;
      await this.anonymousRefusals.record(org.id, context.flow, reason, detail, details, target);
      return;
    }
    await this.audit.record(this.dataSource.manager, {
      orgId: org.id,
      actor: `idp-subject:${context.subject}`,
      action: 'enrollment.refuse',
      target,
      details: { reason, flow: context.flow, detail, ...extra },
    });
  }
}
