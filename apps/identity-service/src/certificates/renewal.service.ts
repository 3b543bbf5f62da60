import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { csrInput } from '#protocol';
import { checkCertificationRequest } from '#x509-profile';
import { Account } from '../accounts/account.entity.js';
import { Device } from '../accounts/device.entity.js';
import { signatureKeyEverUsed } from '../accounts/signature-key-history.js';
import { AuditService } from '../admin/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { effectiveSettings } from '../orgs/org-settings.js';
import { Org } from '../orgs/org.entity.js';
import { CertificateAuthorityService, type IssuedChain } from './certificate-authority.service.js';
import { withX509Problems } from './x509-problem.js';

/**
 * Renewal without a new IdP sign-in: the device proves itself with its current certificate
 * (a device-signed request) and sends a CSR for the same key or a new one (key rotation).
 * The old certificate is superseded, not revoked: group members still see it in the MLS
 * tree until the device commits an Update with the new credential.
 */
@Injectable()
export class RenewalService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly authority: CertificateAuthorityService,
    private readonly audit: AuditService,
  ) {}

  async renew(principal: Extract<Principal, { kind: 'device' }>, deviceId: string, csr: string): Promise<IssuedChain & { rotated: boolean }> {
    if (principal.deviceId !== deviceId) {
      throw new ForbiddenException({ message: 'a device can renew only its own certificate', reason: 'not_this_device' });
    }
    return this.dataSource.transaction(async (m) => {
      const device = await m.getRepository(Device).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :deviceId', { deviceId }).getOne();
      if (!device || device.orgId !== principal.orgId) throw new NotFoundException(`no device ${deviceId}`);
      if (device.status !== 'active') throw new ConflictException({ message: 'the device is revoked', reason: 'device_revoked' });
      const account = await m.findOneByOrFail(Account, { id: device.accountId });
      if (!account.active || account.deletedAt) throw new ConflictException({ message: 'the account is not active', reason: 'account_inactive' });
      const org = await m.findOneByOrFail(Org, { id: device.orgId });
      const reauthDays = effectiveSettings(org.settings).certificates.reauthenticateAfterDays;
      if (reauthDays !== null && Date.now() - device.authenticatedAt.getTime() > reauthDays * 86_400_000) {
        throw new ForbiddenException({
          message: `org policy requires a fresh IdP sign-in every ${reauthDays} days: enroll again`,
          reason: 'reauthentication_required',
        });
      }
      // text csrInput does not accept goes on to the profile, which refuses it with its own reason
      const checked = await withX509Problems(() => checkCertificationRequest(csrInput(csr) ?? csr, { ciphersuite: device.ciphersuite }));
      const newHash = Buffer.from(checked.subjectPublicKeyInfoSha256);
      const rotated = !newHash.equals(device.signatureKeySha256);
      if (rotated) {
        if (await signatureKeyEverUsed(m, newHash)) throw new ConflictException({ message: 'this key was already used by a device; make a new one', reason: 'key_already_used' });
        await m.query(`INSERT INTO device_key_history (signature_key_sha256, device_id) VALUES ($1, $2)`, [device.signatureKeySha256, device.id]);
        await m.update(Device, { id: device.id }, { signatureKey: Buffer.from(checked.subjectPublicKeyInfo), signatureKeySha256: newHash });
      }
      const previous: { id: string }[] = await m.query(
        `SELECT id FROM certificate WHERE device_id = $1 AND status = 'active'`,
        [device.id],
      );
      await m.query(`UPDATE certificate SET status = 'superseded' WHERE device_id = $1 AND status = 'active'`, [device.id]);
      const issued = await this.authority.issueDeviceCertificate(m, { orgId: org.id, deviceId: device.id, event: 'certificate_renewed' });
      if (previous.length > 0) {
        await m.query(`UPDATE certificate SET superseded_by = $1 WHERE id = ANY($2::uuid[])`, [issued.certificateId, previous.map((p) => p.id)]);
      }
      await this.audit.record(m, {
        orgId: org.id,
        actor: principal.actor,
        action: 'certificate.renew',
        target: `device:${device.id}`,
        details: { certificateId: issued.certificateId, supersedes: previous.map((p) => p.id), keyRotated: rotated },
      });
      return { ...issued, rotated };
    });
  }
}
