import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Certificate } from './certificate.entity.js';

/**
 * A certificate still counts (for revocation, and as a credential until it expires) unless it
 * was revoked: `active` is the device's current one, `superseded` one a renewal replaced. The
 * one spelling of that rule, for SQL over a certificate table alias.
 */
export const LIVE_CERTIFICATE_STATUSES = ['active', 'superseded'] as const;
export const liveCertificateSql = (alias: string) => `${alias}.status IN ('active', 'superseded')`;

/** What a device's newest certificate says about it (SCIM's read-only device list). */
export type DeviceCertificateState = 'good' | 'revoked' | 'expired' | 'none';

export interface RevokedCertificateRow {
  id: string;
  caId: string;
  deviceId: string | null;
  sha256: Buffer;
}

export interface NewCertificate {
  orgId: string;
  deviceId: string | null;
  caId: string;
  serial: string;
  der: Buffer;
  sha256: Buffer;
  subjectKeySha256: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/** The only statements over `certificate` outside the CA hierarchy and CRL code of this module. */
@Injectable()
export class CertificateRepository {
  async insert(m: EntityManager, c: NewCertificate): Promise<Certificate> {
    const [{ id, created_at }] = await m.query(
      `INSERT INTO certificate (org_id, device_id, ca_id, serial, der, sha256, subject_key_sha256, not_before, not_after, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active') RETURNING id, created_at`,
      [c.orgId, c.deviceId, c.caId, c.serial, c.der, c.sha256, c.subjectKeySha256, c.notBefore, c.notAfter],
    );
    return Object.assign(new Certificate(), c, {
      id,
      status: 'active' as const,
      createdAt: new Date(created_at),
      revokedAt: null,
      revocationReason: null,
      supersededBy: null,
    });
  }

  async findBySha256(m: EntityManager, sha256: Buffer): Promise<Certificate | null> {
    return m.getRepository(Certificate).findOneBy({ sha256 });
  }

  async findByIds(m: EntityManager, orgId: string, ids: readonly string[]): Promise<Certificate[]> {
    if (ids.length === 0) return [];
    return m
      .getRepository(Certificate)
      .createQueryBuilder('c')
      .where('c.org_id = :orgId AND c.id IN (:...ids)', { orgId, ids: [...ids] })
      .getMany();
  }

  /** Locked for the rest of the transaction. */
  async lock(m: EntityManager, orgId: string, id: string): Promise<Certificate | null> {
    return m
      .getRepository(Certificate)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.id = :id AND c.org_id = :orgId', { id, orgId })
      .getOne();
  }

  /** Every live certificate of these devices becomes revoked. */
  async revokeLiveOfDevices(
    m: EntityManager,
    orgId: string,
    deviceIds: readonly string[],
    at: Date,
    crlReason: number,
  ): Promise<RevokedCertificateRow[]> {
    const [rows]: [{ id: string; ca_id: string; device_id: string; sha256: Buffer }[], number] = await m.query(
      `UPDATE certificate c SET status = 'revoked', revoked_at = $3, revocation_reason = $4
        WHERE c.org_id = $1 AND c.device_id = ANY($2::uuid[]) AND ${liveCertificateSql('c')}
        RETURNING c.id, c.ca_id, c.device_id, c.sha256`,
      [orgId, deviceIds, at, crlReason],
    );
    return rows.map((r) => ({ id: r.id, caId: r.ca_id, deviceId: r.device_id, sha256: Buffer.from(r.sha256) }));
  }

  /**
   * Superseded certificates of the org whose successor was issued before `cutoff`, revoked
   * now with `crlReason`. Rows another transaction holds are skipped (two replicas sweeping).
   */
  async revokeSupersededBefore(
    m: EntityManager,
    orgId: string,
    cutoff: Date,
    at: Date,
    crlReason: number,
    limit: number,
  ): Promise<RevokedCertificateRow[]> {
    const [rows]: [{ id: string; ca_id: string; device_id: string; sha256: Buffer }[], number] = await m.query(
      `WITH due AS (
         SELECT c.id FROM certificate c JOIN certificate n ON n.id = c.superseded_by
          WHERE c.org_id = $1 AND c.status = 'superseded' AND n.created_at < $2
          ORDER BY n.created_at LIMIT $5 FOR UPDATE OF c SKIP LOCKED)
       UPDATE certificate c SET status = 'revoked', revoked_at = $3, revocation_reason = $4
         FROM due WHERE c.id = due.id AND c.status = 'superseded'
       RETURNING c.id, c.ca_id, c.device_id, c.sha256`,
      [orgId, cutoff, at, crlReason, limit],
    );
    return rows.map((r) => ({ id: r.id, caId: r.ca_id, deviceId: r.device_id, sha256: Buffer.from(r.sha256) }));
  }

  /**
   * Superseded certificates of these devices that no leaf shows any more, once a leaf of the
   * same device shows one of its certificates issued after them (the device moved its leaves
   * to the new credential), revoked now with `crlReason`. `shown`: per device, the SHA-256 of
   * every certificate its leaves carry. One statement for all devices.
   */
  async revokeSupersededNotShown(
    m: EntityManager,
    orgId: string,
    shown: ReadonlyMap<string, readonly Buffer[]>,
    at: Date,
    crlReason: number,
  ): Promise<RevokedCertificateRow[]> {
    const pairs = [...shown].flatMap(([deviceId, fingerprints]) => fingerprints.map((f) => [deviceId, f] as const));
    if (pairs.length === 0) return [];
    const [rows]: [{ id: string; ca_id: string; device_id: string; sha256: Buffer }[], number] = await m.query(
      `WITH shown AS (SELECT * FROM unnest($2::uuid[], $3::bytea[]) AS s(device_id, sha256))
       UPDATE certificate c SET status = 'revoked', revoked_at = $4, revocation_reason = $5
        WHERE c.org_id = $1 AND c.status = 'superseded' AND c.device_id IN (SELECT device_id FROM shown)
          AND NOT EXISTS (SELECT 1 FROM shown s WHERE s.device_id = c.device_id AND s.sha256 = c.sha256)
          AND EXISTS (SELECT 1 FROM shown s JOIN certificate n ON n.sha256 = s.sha256
                       WHERE s.device_id = c.device_id AND n.org_id = $1 AND n.device_id = c.device_id
                         AND n.status <> 'revoked' AND n.created_at > c.created_at)
       RETURNING c.id, c.ca_id, c.device_id, c.sha256`,
      [orgId, pairs.map((p) => p[0]), pairs.map((p) => p[1]), at, crlReason],
    );
    return rows.map((r) => ({ id: r.id, caId: r.ca_id, deviceId: r.device_id, sha256: Buffer.from(r.sha256) }));
  }

  /** Per org, when its first live service certificate (the MLS external sender's) expires. */
  async serviceCertificateExpiry(m: EntityManager): Promise<{ orgId: string; notAfter: Date }[]> {
    const rows: { org_id: string; not_after: Date }[] = await m.query(
      `SELECT c.org_id, min(c.not_after) AS not_after FROM certificate c
        WHERE c.device_id IS NULL AND c.status = 'active' GROUP BY c.org_id`,
    );
    return rows.map((r) => ({ orgId: r.org_id, notAfter: new Date(r.not_after) }));
  }

  /** Every live certificate the CA signed (the CA is revoked): returns how many. */
  async revokeLiveOfCa(m: EntityManager, orgId: string, caId: string, at: Date, crlReason: number): Promise<number> {
    const [, count]: [unknown, number] = await m.query(
      `UPDATE certificate c SET status = 'revoked', revoked_at = $3, revocation_reason = $4
        WHERE c.org_id = $1 AND c.ca_id = $2 AND ${liveCertificateSql('c')}`,
      [orgId, caId, at, crlReason],
    );
    return count;
  }

  async revoke(m: EntityManager, id: string, at: Date, crlReason: number): Promise<void> {
    await m.query(`UPDATE certificate SET status = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE id = $1`, [id, at, crlReason]);
  }

  /** The device's current certificates become superseded; returns their ids. */
  async supersedeActiveOfDevice(m: EntityManager, deviceId: string): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await m.query(
      `UPDATE certificate SET status = 'superseded' WHERE device_id = $1 AND status = 'active' RETURNING id`,
      [deviceId],
    );
    return rows.map((r) => r.id);
  }

  async setSupersededBy(m: EntityManager, ids: readonly string[], successorId: string): Promise<void> {
    if (ids.length === 0) return;
    await m.query(`UPDATE certificate SET superseded_by = $1 WHERE id = ANY($2::uuid[])`, [successorId, ids]);
  }

  /** The state of each device's newest certificate ('none' for a device without one). */
  async newestStateOfDevices(m: EntityManager, orgId: string, deviceIds: readonly string[]): Promise<Map<string, DeviceCertificateState>> {
    const out = new Map<string, DeviceCertificateState>(deviceIds.map((id) => [id, 'none']));
    if (deviceIds.length === 0) return out;
    const rows: { device_id: string; state: DeviceCertificateState }[] = await m.query(
      `SELECT DISTINCT ON (c.device_id) c.device_id,
              CASE WHEN c.status = 'revoked' THEN 'revoked' WHEN c.not_after <= now() THEN 'expired' ELSE 'good' END AS state
         FROM certificate c
        WHERE c.org_id = $1 AND c.device_id = ANY($2::uuid[])
        ORDER BY c.device_id, c.created_at DESC, c.id DESC`,
      [orgId, deviceIds],
    );
    for (const r of rows) out.set(r.device_id, r.state);
    return out;
  }

  /** Every certificate of these devices (any status), newest first. */
  async ofDevices(m: EntityManager, orgId: string, deviceIds: readonly string[]): Promise<Certificate[]> {
    if (deviceIds.length === 0) return [];
    return m
      .getRepository(Certificate)
      .createQueryBuilder('c')
      .where('c.org_id = :orgId AND c.device_id IN (:...deviceIds)', { orgId, deviceIds: [...deviceIds] })
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id')
      .getMany();
  }

  /** Live certificates of the org ending in [now, now + days), counted per day or ISO week (UTC). */
  async expiryHorizon(m: EntityManager, orgId: string, days: number, bucket: 'day' | 'week'): Promise<{ start: string; count: number }[]> {
    const rows: { start: string; count: number }[] = await m.query(
      `SELECT to_char(date_trunc($3, c.not_after AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS start, count(*)::int AS count
         FROM certificate c
        WHERE c.org_id = $1 AND ${liveCertificateSql('c')} AND c.not_after >= now() AND c.not_after < now() + make_interval(days => $2)
        GROUP BY 1 ORDER BY 1`,
      [orgId, days, bucket],
    );
    return rows;
  }
}
