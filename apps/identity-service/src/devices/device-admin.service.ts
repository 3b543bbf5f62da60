import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { keysetPage, type Page } from '../common/paging/index.js';
import { SecretBox } from '../keys/index.js';
import { DeviceRepository, type DeviceFilter, type DeviceRecord } from './device.repository.js';
import { DeviceRevocationService, type RevocationResult } from './device-revocation.service.js';
import { DeviceErrors } from './devices.errors.js';

export interface DeviceSearch extends DeviceFilter {
  limit: number;
  cursor?: string;
}

export interface LostDeviceResult extends RevocationResult {
  /** False when the device was no longer active (reported twice, or revoked or expired before). */
  revoked: boolean;
}

/**
 * What an admin does with the org's devices: find them page by page (no silent cap: every
 * page says whether another follows), rename one, and report one lost.
 */
@Injectable()
export class DeviceAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly revocation: DeviceRevocationService,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
  ) {}

  /** One page of the devices matching the filters; `next` continues exactly where it stopped. */
  async search(orgId: string, q: DeviceSearch): Promise<Page<DeviceRecord>> {
    const filters = { o: orgId, s: q.status ?? null, p: q.platform?.toLowerCase() ?? null, a: q.accountId ?? null, n: q.namePrefix ?? null };
    return keysetPage(this.box, 'devices', filters, q, (after, take) => this.devices.page(this.dataSource.manager, orgId, q, after, take));
  }

  async get(orgId: string, id: string): Promise<DeviceRecord> {
    const [device] = await this.devices.findByIds(this.dataSource.manager, orgId, [id]);
    if (!device) throw DeviceErrors.error('device_not_found', `no device ${id} in this org`);
    return device;
  }

  /** The name people see in lists (the certificate does not carry it, so nothing is reissued). */
  async rename(actor: string, orgId: string, id: string, name: string): Promise<DeviceRecord> {
    return this.dataSource.transaction(async (m) => {
      const [before] = await this.devices.findByIds(m, orgId, [id]);
      if (!before || !(await this.devices.rename(m, orgId, id, name))) throw DeviceErrors.error('device_not_found', `no device ${id} in this org`);
      await this.audit.record(m, { orgId, actor, action: 'device.rename', target: `device:${id}`, details: { before: before.name, after: name } });
      return { ...before, name };
    });
  }

  /**
   * A lost or stolen device: the deprovisioning path for one device (its certificates revoked
   * as keyCompromise, key-transparency entries, the devices-revoked topic that plans signed
   * Removes for every group it is in), recorded as a manual report by this admin.
   */
  async reportLost(actor: string, orgId: string, id: string): Promise<LostDeviceResult> {
    return this.dataSource.transaction(async (m) => {
      const [device] = await this.devices.findByIds(m, orgId, [id]);
      if (!device) throw DeviceErrors.error('device_not_found', `no device ${id} in this org`);
      const result = await this.revocation.revokeDevices(m, { orgId, deviceIds: [id], reason: 'keyCompromise', actor });
      const revoked = result.devices.length > 0;
      if (revoked) {
        await this.audit.record(m, {
          orgId,
          actor,
          action: 'device.report_lost',
          target: `device:${id}`,
          details: { manual: true, accountId: device.accountId, certificatesRevoked: result.certificates.length },
        });
      }
      return { revoked, ...result };
    });
  }

  devicesByStatus(orgId: string) {
    return this.devices.countByStatus(this.dataSource.manager, orgId);
  }

  enrolledPerDay(orgId: string, days: number) {
    return this.devices.enrolledPerDay(this.dataSource.manager, orgId, days);
  }
}
