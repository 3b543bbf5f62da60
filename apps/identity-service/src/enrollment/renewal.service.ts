import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { csrInput } from '#protocol';
import { checkCertificationRequest } from '#x509-profile';
import { AccountDirectory, AccountErrors, GroupDirectory } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import type { Principal } from '../common/access/index.js';
import { CertificatesService, type IssuedChain } from '../certificates/index.js';
import { DevicesService } from '../devices/index.js';
import { effectiveSettings, OrgsService } from '../orgs/index.js';
import { DeviceCertificationService } from './device-certification.service.js';
import { verifyCsrSignature } from './csr-input.js';
import { refuse } from './enrollment.errors.js';
import { checkRecentSignIn } from './policy/certificate-policy.js';

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
    private readonly devices: DevicesService,
    private readonly accounts: AccountDirectory,
    private readonly groups: GroupDirectory,
    private readonly certificates: CertificatesService,
    private readonly certification: DeviceCertificationService,
    private readonly audit: AuditService,
    private readonly orgs: OrgsService,
  ) {}

  async renew(principal: Extract<Principal, { kind: 'device' }>, deviceId: string, csr: string): Promise<IssuedChain & { rotated: boolean }> {
    if (principal.deviceId !== deviceId) refuse('not_this_device', 'a device can renew only its own certificate');
    return this.dataSource.transaction(async (m) => {
      const device = await this.devices.lockActive(m, principal.orgId, deviceId);
      const [account] = await this.accounts.findByIds(device.orgId, [device.accountId], m);
      if (!account?.active || account.deletedAt) refuse('account_inactive', 'the account is not active');
      const org = await this.orgs.requireById(device.orgId, m);
      checkRecentSignIn(org.settings, device.authenticatedAt);
      const { entitlementGroupId: id, entitlementGroupDisplayName: displayName } = effectiveSettings(org.settings).scim;
      if (!(await this.groups.entitled(m, org.id, account.id, { id, displayName }))) {
        throw AccountErrors.error('account_not_entitled', "the account is no longer a member of the org's entitlement group");
      }
      // Library errors (malformed: 400, bad proof of possession: 422) are mapped centrally.
      // text csrInput does not accept goes on to the profile, which refuses it with its own reason
      const checked = await checkCertificationRequest(csrInput(csr) ?? csr, { ciphersuite: device.ciphersuite, verify: verifyCsrSignature });
      const newHash = Buffer.from(checked.subjectPublicKeyInfoSha256);
      const rotated = !newHash.equals(device.signatureKeySha256);
      if (rotated) await this.devices.rotateKey(m, device, checked.subjectPublicKeyInfo, newHash);
      const previous = await this.certificates.supersedeCurrentOf(m, device.id);
      const issued = await this.certification.issue(m, { org, account, device, event: 'certificate_renewed' });
      await this.certificates.recordSuccessor(m, previous, issued.certificateId);
      await this.audit.record(m, {
        orgId: org.id,
        actor: principal.actor,
        action: 'certificate.renew',
        target: `device:${device.id}`,
        details: { certificateId: issued.certificateId, supersedes: previous, keyRotated: rotated },
      });
      return { ...issued, rotated };
    });
  }
}
