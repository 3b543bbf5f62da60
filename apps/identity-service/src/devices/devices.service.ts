import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CertificatesService, type DeviceCertificateState } from '../certificates/index.js';
import type { Device, DeviceStatus } from './device.entity.js';
import { DeviceRepository, isActiveDevice, type DeviceRecord, type NewDevice } from './device.repository.js';
import { DeviceErrors } from './devices.errors.js';
import { EXPIRED_REASON } from './devices-revoked.topic.js';

/** A device as an account's SCIM representation lists it. */
export interface DeviceSummary {
  id: string;
  name: string;
  platform: string;
  status: DeviceStatus;
  certificateStatus: DeviceCertificateState;
}

/**
 * The device lifecycle other modules call: enrollment creates, renewal rotates the key,
 * DeviceRevocationService ends it (the one revocation path), and read questions for the
 * delivery, removal, auth and SCIM modules. Methods taking an EntityManager run in the
 * caller's transaction.
 */
@Injectable()
export class DevicesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly certificates: CertificatesService,
  ) {}

  /** A new active device; 409 signature_key_already_used when another enrollment took the key first. */
  async create(m: EntityManager, d: NewDevice): Promise<string> {
    const id = await this.devices.insert(m, d);
    if (id === null) throw DeviceErrors.error('signature_key_already_used', 'this signature key was enrolled before; a device must make a new key');
    return id;
  }

  /**
   * The device locked for a change of its credential (renewal): it must exist in the org and
   * be active.
   */
  async lockActive(m: EntityManager, orgId: string, deviceId: string): Promise<Device> {
    const device = await this.devices.lock(m, deviceId);
    if (!device || device.orgId !== orgId) throw DeviceErrors.error('device_not_found', `no device ${deviceId}`);
    if (device.status === 'expired') throw DeviceErrors.error('device_expired', 'the device expired: enroll it again');
    if (!isActiveDevice(device)) throw DeviceErrors.error('device_revoked', 'the device is revoked');
    return device;
  }

  /**
   * Key rotation: the device gets the new key and the old one goes to its history. A key any
   * device ever held is refused (one key, one device, ever).
   */
  async rotateKey(m: EntityManager, device: Device, key: Uint8Array, keyHash: Buffer): Promise<void> {
    if (await this.devices.keyEverUsed(m, keyHash)) {
      throw DeviceErrors.error('signature_key_already_used', 'this key was already used by a device; make a new one');
    }
    await this.devices.rotateKey(m, device, Buffer.from(key), keyHash);
    device.signatureKey = Buffer.from(key);
    device.signatureKeySha256 = keyHash;
  }

  /**
   * One key, one device, ever: a signature key any device holds now or held before a
   * rotation can never be enrolled or rotated to again. Across orgs on purpose.
   */
  signatureKeyEverUsed(m: EntityManager, keyHash: Buffer): Promise<boolean> {
    return this.devices.keyEverUsed(m, keyHash);
  }

  find(m: EntityManager, orgId: string, id: string): Promise<Device | null> {
    return this.devices.find(m, orgId, id);
  }

  /** The org's devices among `ids` (any status); ids that are not UUIDs match nothing. */
  findByIds(orgId: string, ids: readonly string[], m: EntityManager = this.dataSource.manager): Promise<DeviceRecord[]> {
    return this.devices.findByIds(m, orgId, ids);
  }

  findBySignatureKeyHash(keyHash: Buffer, m: EntityManager = this.dataSource.manager): Promise<DeviceRecord | null> {
    return this.devices.findBySignatureKeyHash(m, keyHash);
  }

  /** Every device of these accounts (any status), oldest first. */
  ofAccounts(orgId: string, accountIds: readonly string[], m: EntityManager = this.dataSource.manager): Promise<DeviceRecord[]> {
    return this.devices.ofAccounts(m, orgId, accountIds);
  }

  /** The active devices of these accounts, oldest first. */
  activeOfAccounts(orgId: string, accountIds: readonly string[], m: EntityManager = this.dataSource.manager): Promise<DeviceRecord[]> {
    return this.devices.activeOfAccounts(m, orgId, accountIds);
  }

  /**
   * The devices among `ids` that may no longer be in groups (revoked or expired), with why
   * (an expired device's reason is `expired`).
   */
  async revokedAmong(orgId: string, ids: readonly string[], m: EntityManager = this.dataSource.manager): Promise<DeviceRecord[]> {
    return (await this.devices.findByIds(m, orgId, ids))
      .filter((d) => !isActiveDevice(d))
      .map((d) => (d.status === 'expired' ? { ...d, revocationReason: d.revocationReason ?? EXPIRED_REASON } : d));
  }

  /** A certificate was issued to the device (enrollment, renewal, re-authentication): its credential now ends at `notAfter`. */
  recordCredential(m: EntityManager, deviceId: string, notAfter: Date): Promise<void> {
    return this.devices.recordCredential(m, deviceId, notAfter);
  }

  /** The device's person signed in at the IdP again (re-authentication): the renewal clock restarts. */
  recordSignIn(m: EntityManager, deviceId: string, at: Date): Promise<void> {
    return this.devices.recordSignIn(m, deviceId, at);
  }

  /** Each account's devices with the state of their newest certificate. */
  async summariesOf(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<Map<string, DeviceSummary[]>> {
    const out = new Map<string, DeviceSummary[]>();
    const devices = await this.devices.ofAccounts(m, orgId, accountIds);
    if (devices.length === 0) return out;
    const states = await this.certificates.newestStateOfDevices(
      m,
      orgId,
      devices.map((d) => d.id),
    );
    for (const d of devices) {
      const list = out.get(d.accountId) ?? [];
      list.push({ id: d.id, name: d.name, platform: d.platform, status: d.status, certificateStatus: states.get(d.id) ?? 'none' });
      out.set(d.accountId, list);
    }
    return out;
  }
}
