import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountDirectory, type Account } from '../accounts/index.js';
import { CertificateAuthorityService, type DeviceCertificateRequest, type IssuedChain } from '../certificates/index.js';
import { DeviceErrors, DevicesService, isActiveDevice, type Device } from '../devices/index.js';
import { OrgsService, type Org } from '../orgs/index.js';
import { certificateLifetimeSeconds, certifiedIdentity } from './policy/certificate-policy.js';

/**
 * A certificate for a device's current key, in the caller's transaction: the policy (active
 * device, active account with an email, the org's lifetime) is applied here, then the CA,
 * which knows none of it, signs. Enrollment and renewal end here.
 */
@Injectable()
export class DeviceCertificationService {
  constructor(
    private readonly ca: CertificateAuthorityService,
    private readonly devices: DevicesService,
    private readonly accounts: AccountDirectory,
    private readonly orgs: OrgsService,
  ) {}

  /** With the org, account and device already in hand (enrollment, renewal). */
  async issue(
    m: EntityManager,
    c: {
      org: Pick<Org, 'id' | 'slug' | 'name' | 'settings'>;
      account: Pick<Account, 'id' | 'active' | 'deletedAt' | 'email' | 'userName' | 'displayName'>;
      device: Pick<Device, 'id' | 'status' | 'ciphersuite' | 'signatureKey'>;
      event?: 'certificate_issued' | 'certificate_renewed';
      alongside?: DeviceCertificateRequest['alongside'];
    },
  ): Promise<IssuedChain> {
    if (!isActiveDevice(c.device)) throw DeviceErrors.error('device_revoked', 'the device is revoked');
    const issued = await this.ca.issueDeviceCertificate(m, {
      org: c.org,
      identity: certifiedIdentity(c.account, c.device.id, c.org.settings),
      subjectPublicKeyInfo: new Uint8Array(c.device.signatureKey),
      ciphersuite: c.device.ciphersuite,
      lifetimeSeconds: certificateLifetimeSeconds(c.org.settings),
      event: c.event,
      alongside: c.alongside,
    });
    // The lifecycle sweep expires the device from here on, unless it renews or re-authenticates.
    await this.devices.recordCredential(m, c.device.id, issued.notAfter);
    return issued;
  }

  /** For a device known only by id (tools and tests that create device rows themselves). */
  async certify(
    m: EntityManager,
    r: { orgId: string; deviceId: string; event?: 'certificate_issued' | 'certificate_renewed' },
  ): Promise<IssuedChain> {
    const device = await this.devices.find(m, r.orgId, r.deviceId);
    if (!device) throw DeviceErrors.error('device_not_found', `no device ${r.deviceId}`);
    const [account] = await this.accounts.findByIds(r.orgId, [device.accountId], m);
    const org = await this.orgs.findById(r.orgId, m);
    if (!account || !org) throw DeviceErrors.error('device_not_found', `no device ${r.deviceId}`);
    return this.issue(m, { org, account, device, event: r.event });
  }
}
