import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Certificate } from './certificate.entity.js';
import { CertificateRepository, type DeviceCertificateState } from './certificate.repository.js';

/** Read questions other modules ask about issued certificates (their rows stay in this module). */
@Injectable()
export class CertificatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly certificates: CertificateRepository,
  ) {}

  /** The certificate with this leaf fingerprint (SHA-256 of its DER), in any org. */
  findBySha256(sha256: Buffer, m: EntityManager = this.dataSource.manager): Promise<Certificate | null> {
    return this.certificates.findBySha256(m, sha256);
  }

  findByIds(orgId: string, ids: readonly string[], m: EntityManager = this.dataSource.manager): Promise<Certificate[]> {
    return this.certificates.findByIds(m, orgId, ids);
  }

  /** The device's current certificates become superseded (a renewal replaces them); their ids. */
  supersedeCurrentOf(m: EntityManager, deviceId: string): Promise<string[]> {
    return this.certificates.supersedeActiveOfDevice(m, deviceId);
  }

  /** Links the superseded certificates to the one that replaced them. */
  recordSuccessor(m: EntityManager, supersededIds: readonly string[], successorId: string): Promise<void> {
    return this.certificates.setSupersededBy(m, supersededIds, successorId);
  }

  /** The state of each device's newest certificate ('none' for a device without one). */
  newestStateOfDevices(m: EntityManager, orgId: string, deviceIds: readonly string[]): Promise<Map<string, DeviceCertificateState>> {
    return this.certificates.newestStateOfDevices(m, orgId, deviceIds);
  }

  /** Every certificate of these devices, newest first (an admin's view of an account). */
  ofDevices(orgId: string, deviceIds: readonly string[], m: EntityManager = this.dataSource.manager): Promise<Certificate[]> {
    return this.certificates.ofDevices(m, orgId, deviceIds);
  }

  /** How many live certificates end on each day (or week) of the next `days` days. */
  expiryHorizon(orgId: string, days: number, bucket: 'day' | 'week'): Promise<{ start: string; count: number }[]> {
    return this.certificates.expiryHorizon(this.dataSource.manager, orgId, days, bucket);
  }
}
