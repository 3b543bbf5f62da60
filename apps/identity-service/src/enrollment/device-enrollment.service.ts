import { signatureKeyEverUsed } from '../devices/signature-key-history.js';
import { HttpException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Device } from '../devices/device.entity.js';
import { DeviceRevocationService } from '../devices/device-revocation.service.js';
import { DeviceErrors } from '../devices/devices.errors.js';
import { asDomainError, statusOf } from '../common/errors/http-mapping.js';
import { AccountDirectory } from '../accounts/index.js';
import { AuditService } from '../audit/audit.service.js';
import { CertificateAuthorityService } from '../certificates/certificate-authority.service.js';
import type { Org } from '../orgs/org.entity.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { ktAppend } from '../transparency/kt-event.js';
import { bindAccount } from './account-binding.js';
import { refuse } from './enrollment.errors.js';
import { enrollmentResult, type EnrollmentResult } from './enrollment-result.js';
import type { EnrollmentFlow } from './sessions/enrollment-session.entity.js';
import type { AuthenticatedPerson } from './oidc/id-token-authenticator.js';
import { spendIdToken } from './oidc/id-token-replay.js';
import type { EnrollmentPolicy } from './policy/enrollment-policy.js';

export interface DeviceToEnroll {
  deviceName: string;
  platform: string;
  ciphersuite: number;
  subjectPublicKeyInfo: Uint8Array;
  subjectPublicKeyInfoSha256: Uint8Array;
}

const UNIQUE_VIOLATION = '23505';

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
    private readonly ca: CertificateAuthorityService,
    private readonly revocation: DeviceRevocationService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async enroll(
    m: EntityManager,
    e: { org: Org; policy: EnrollmentPolicy; person: AuthenticatedPerson; idToken: string; device: DeviceToEnroll; flow: EnrollmentFlow | 'native' },
  ): Promise<EnrollmentResult> {
    const { org, person, device } = e;
    const actor = `idp-subject:${person.identity.subject}`;
    // The key first: for a key that is already enrolled that is the answer the device can act on.
    const keyHash = Buffer.from(device.subjectPublicKeyInfoSha256);
    if (await signatureKeyEverUsed(m, keyHash)) {
      throw DeviceErrors.error('signature_key_already_used', 'this signature key was enrolled before; a device must make a new key');
    }
    await spendIdToken(m, org.id, person.claims, e.idToken);
    const { account, matchedBy } = await bindAccount(m, this.accounts, this.audit, org.id, person.identity, e.policy);

    const active: { id: string }[] = await m.query(
      `SELECT id FROM device WHERE org_id = $1 AND account_id = $2 AND status = 'active' ORDER BY created_at ASC, id ASC`,
      [org.id, account.id],
    );
    const excess = active.length - e.policy.maxActiveDevicesPerAccount + 1;
    if (excess > 0) {
      if (e.policy.onLimit === 'refuse') {
        refuse('device_limit_reached', `the account already has ${active.length} active devices (limit ${e.policy.maxActiveDevicesPerAccount})`);
      }
      await this.revocation.revokeDevices(m, { orgId: org.id, deviceIds: active.slice(0, excess).map((d) => d.id), reason: 'superseded', actor });
    }

    let deviceId: string;
    try {
      const inserted = await m.insert(Device, {
        orgId: org.id,
        accountId: account.id,
        name: device.deviceName,
        platform: device.platform,
        ciphersuite: device.ciphersuite,
        signatureKey: Buffer.from(device.subjectPublicKeyInfo),
        signatureKeySha256: keyHash,
        status: 'active',
      });
      deviceId = inserted.identifiers[0].id as string;
    } catch (err) {
      // Another enrollment of the same key committed first (the unique index decides).
      if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw DeviceErrors.error('signature_key_already_used', 'this signature key was enrolled before; a device must make a new key');
      }
      throw err;
    }

    const chain = await this.ca.issueDeviceCertificate(m, { orgId: org.id, deviceId });
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: 'device_enrolled',
        orgId: org.id,
        accountId: account.id,
        deviceId,
        certificateSha256: chain.sha256,
        signatureKeySha256: keyHash.toString('hex'),
        timestamp: new Date().toISOString(),
      }),
    );
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
        ...(excess > 0 ? { revokedForLimit: excess } : {}),
        ...(person.identity.groupsOverage ? { groupsOverage: true } : {}),
      },
    });
    return enrollmentResult(deviceId, account.id, chain);
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
      } else if (err instanceof HttpException && err.getStatus() < 500) {
        // A refusal raised by a module enrollment calls that still answers in HTTP terms (the CA).
        const body = err.getResponse() as { reason?: unknown };
        await this.recordRefusal(org, context, typeof body?.reason === 'string' ? body.reason : `http_${err.getStatus()}`, err.message);
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
    await this.audit.record(this.dataSource.manager, {
      orgId: org.id,
      actor: context.subject ? `idp-subject:${context.subject}` : 'anonymous',
      action: 'enrollment.refuse',
      target: context.enrollmentId ? `enrollment:${context.enrollmentId}` : `org:${org.id}`,
      details: { reason, flow: context.flow, detail, ...extra },
    });
  }
}
