import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Device, type DeviceStatus } from './device.entity.js';

/**
 * A device may sign in, get certificates and appear in MLS groups only while active; the one
 * spelling of that rule, for entities and for SQL over alias `d`.
 */
export const isActiveDevice = (d: Pick<Device, 'status'>): boolean => d.status === 'active';
export const ACTIVE_DEVICE_SQL = `d.status = 'active'`;

/** The org of a device, by id (null for an unknown or malformed id). */
export async function deviceOrgId(m: EntityManager, deviceId: string): Promise<string | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(deviceId)) return null;
  const [row] = (await m.query(`SELECT org_id FROM device WHERE id = $1`, [deviceId])) as { org_id: string }[];
  return row?.org_id ?? null;
}

/** A device row as other modules read it (the key itself stays in this module). */
export interface DeviceRecord {
  id: string;
  orgId: string;
  accountId: string;
  name: string;
  platform: string;
  ciphersuite: number;
  signatureKeySha256: Buffer;
  status: DeviceStatus;
  revokedAt: Date | null;
  revocationReason: string | null;
  expiredAt: Date | null;
  credentialNotAfter: Date | null;
  authenticatedAt: Date;
  createdAt: Date;
}

/** Filters of the admin device search; each one given narrows the list. */
export interface DeviceFilter {
  status?: DeviceStatus;
  /** Exact platform, case-insensitively. */
  platform?: string;
  accountId?: string;
  /** Case-insensitive prefix of the device name. */
  namePrefix?: string;
}

/** A device row with its keyset position (created_at exactly as PostgreSQL prints it). */
export type PagedDeviceRecord = DeviceRecord & { position: { createdAt: string; id: string } };

export interface NewDevice {
  orgId: string;
  accountId: string;
  name: string;
  platform: string;
  ciphersuite: number;
  signatureKey: Buffer;
  signatureKeySha256: Buffer;
}

export interface RevokedDeviceRow {
  id: string;
  accountId: string;
  signatureKeySha256: Buffer;
}

const UNIQUE_VIOLATION = '23505';

const COLUMNS = `d.id, d.org_id, d.account_id, d.name, d.platform, d.ciphersuite, d.signature_key_sha256, d.status,
  d.revoked_at, d.revocation_reason, d.expired_at, d.credential_not_after, d.authenticated_at, d.created_at`;

interface DeviceRow {
  id: string;
  org_id: string;
  account_id: string;
  name: string;
  platform: string;
  ciphersuite: number;
  signature_key_sha256: Buffer;
  status: DeviceStatus;
  revoked_at: Date | null;
  revocation_reason: string | null;
  expired_at: Date | null;
  credential_not_after: Date | null;
  authenticated_at: Date;
  created_at: Date;
}

function fromRow(r: DeviceRow): DeviceRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    accountId: r.account_id,
    name: r.name,
    platform: r.platform,
    ciphersuite: r.ciphersuite,
    signatureKeySha256: Buffer.from(r.signature_key_sha256),
    status: r.status,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    expiredAt: r.expired_at,
    credentialNotAfter: r.credential_not_after,
    authenticatedAt: r.authenticated_at,
    createdAt: r.created_at,
  };
}

/**
 * The only statements over `device` and `device_key_history`. Every method runs in the
 * caller's transaction (EntityManager), so use cases compose them atomically.
 */
@Injectable()
export class DeviceRepository {
  /** Null when the key is taken (the unique index decides races between enrollments). */
  async insert(m: EntityManager, d: NewDevice): Promise<string | null> {
    try {
      const inserted = await m.insert(Device, { ...d, status: 'active' });
      return inserted.identifiers[0].id as string;
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) return null;
      throw err;
    }
  }

  /** Locked for the rest of the transaction (renewal: one key change at a time). */
  async lock(m: EntityManager, id: string): Promise<Device | null> {
    return m.getRepository(Device).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :id', { id }).getOne();
  }

  async find(m: EntityManager, orgId: string, id: string): Promise<Device | null> {
    return m.getRepository(Device).findOneBy({ orgId, id });
  }

  async findByIds(m: EntityManager, orgId: string, ids: readonly string[]): Promise<DeviceRecord[]> {
    if (ids.length === 0) return [];
    // ::text so that ids taken from certificates or MLS leaves that are not UUIDs match nothing.
    return this.select(m, `d.org_id = $1 AND d.id::text = ANY($2::text[])`, [orgId, [...ids]]);
  }

  async findBySignatureKeyHash(m: EntityManager, keyHash: Buffer): Promise<DeviceRecord | null> {
    const [d] = await this.select(m, `d.signature_key_sha256 = $1`, [keyHash]);
    return d ?? null;
  }

  /** The active devices of these accounts, oldest first. */
  async activeOfAccounts(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<DeviceRecord[]> {
    if (accountIds.length === 0) return [];
    return this.select(m, `d.org_id = $1 AND d.account_id = ANY($2::uuid[]) AND ${ACTIVE_DEVICE_SQL}`, [orgId, [...accountIds]]);
  }

  /** Every device of these accounts (any status), oldest first. */
  async ofAccounts(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<DeviceRecord[]> {
    if (accountIds.length === 0) return [];
    return this.select(m, `d.org_id = $1 AND d.account_id = ANY($2::uuid[])`, [orgId, [...accountIds]]);
  }

  private async select(m: EntityManager, where: string, params: unknown[]): Promise<DeviceRecord[]> {
    const rows: DeviceRow[] = await m.query(`SELECT ${COLUMNS} FROM device d WHERE ${where} ORDER BY d.created_at, d.id`, params);
    return rows.map(fromRow);
  }

  /** Active devices among `ids` become revoked; those already revoked are left alone. */
  async revokeActive(m: EntityManager, orgId: string, ids: readonly string[], at: Date, reason: string): Promise<RevokedDeviceRow[]> {
    const [rows]: [{ id: string; account_id: string; signature_key_sha256: Buffer }[], number] = await m.query(
      `UPDATE device d SET status = 'revoked', revoked_at = $3, revocation_reason = $4
        WHERE d.org_id = $1 AND d.id = ANY($2::uuid[]) AND ${ACTIVE_DEVICE_SQL}
        RETURNING d.id, d.account_id, d.signature_key_sha256`,
      [orgId, ids, at, reason],
    );
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, signatureKeySha256: Buffer.from(r.signature_key_sha256) }));
  }

  /**
   * Up to `limit` active devices of the org whose newest certificate ended before `cutoff`,
   * locked; rows another transaction holds are skipped (two replicas sweeping split the work).
   */
  async lockLapsed(m: EntityManager, orgId: string, cutoff: Date, limit: number): Promise<DeviceRecord[]> {
    const rows: DeviceRow[] = await m.query(
      `SELECT ${COLUMNS} FROM device d
        WHERE d.org_id = $1 AND ${ACTIVE_DEVICE_SQL} AND d.credential_not_after < $2
        ORDER BY d.credential_not_after, d.id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [orgId, cutoff, limit],
    );
    return rows.map(fromRow);
  }

  /** Active devices among `ids` become expired; returns those that changed. */
  async expireActive(m: EntityManager, orgId: string, ids: readonly string[], at: Date): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await m.query(
      `UPDATE device d SET status = 'expired', expired_at = $3
        WHERE d.org_id = $1 AND d.id = ANY($2::uuid[]) AND ${ACTIVE_DEVICE_SQL} RETURNING d.id`,
      [orgId, ids, at],
    );
    return rows.map((r) => r.id);
  }

  /** A certificate was issued to the device: its credential now ends at `notAfter`. */
  async recordCredential(m: EntityManager, id: string, notAfter: Date): Promise<void> {
    await m.query(`UPDATE device SET credential_not_after = $2 WHERE id = $1`, [id, notAfter]);
  }

  /** The person signed in at the IdP again (re-authentication). */
  async recordSignIn(m: EntityManager, id: string, at: Date): Promise<void> {
    await m.query(`UPDATE device SET authenticated_at = $2 WHERE id = $1`, [id, at]);
  }

  /** The device's key changes; the old key goes to device_key_history, never to be used again. */
  async rotateKey(m: EntityManager, device: Pick<Device, 'id' | 'signatureKeySha256'>, key: Buffer, keyHash: Buffer): Promise<void> {
    await m.query(`INSERT INTO device_key_history (signature_key_sha256, device_id) VALUES ($1, $2)`, [device.signatureKeySha256, device.id]);
    await m.update(Device, { id: device.id }, { signatureKey: key, signatureKeySha256: keyHash });
  }

  /** A key any device holds now or held before a rotation. Across orgs on purpose. */
  async keyEverUsed(m: EntityManager, keyHash: Buffer): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM device WHERE signature_key_sha256 = $1
       UNION ALL SELECT 1 FROM device_key_history WHERE signature_key_sha256 = $1 LIMIT 1`,
      [keyHash],
    );
    return rows.length > 0;
  }

  /**
   * One page of the org's devices matching `filter`, oldest first, strictly after `after`
   * (keyset paging on created_at, id: stable while devices are added). Fetches `limit` rows.
   */
  async page(
    m: EntityManager,
    orgId: string,
    filter: DeviceFilter,
    after: { createdAt: string; id: string } | null,
    limit: number,
  ): Promise<PagedDeviceRecord[]> {
    const rows: (DeviceRow & { created_at_text: string })[] = await m.query(
      `SELECT ${COLUMNS}, d.created_at::text AS created_at_text FROM device d
        WHERE d.org_id = $1
          AND ($2::text IS NULL OR d.status = $2)
          AND ($3::text IS NULL OR lower(d.platform) = lower($3))
          AND ($4::uuid IS NULL OR d.account_id = $4::uuid)
          AND ($5::text IS NULL OR lower(d.name) LIKE $5)
          AND ($6::timestamptz IS NULL OR (d.created_at, d.id) > ($6::timestamptz, $7::uuid))
        ORDER BY d.created_at, d.id LIMIT $8`,
      [
        orgId,
        filter.status ?? null,
        filter.platform ?? null,
        filter.accountId ?? null,
        filter.namePrefix === undefined ? null : `${likePrefix(filter.namePrefix.toLowerCase())}%`,
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
    return rows.map((r) => ({ ...fromRow(r), position: { createdAt: r.created_at_text, id: r.id } }));
  }

  /** The device's display name changes; false when no such device is in the org. */
  async rename(m: EntityManager, orgId: string, id: string, name: string): Promise<boolean> {
    const [, changed]: [unknown, number] = await m.query(`UPDATE device SET name = $3 WHERE org_id = $1 AND id = $2`, [orgId, id, name]);
    return changed > 0;
  }

  /** The org's devices per status and platform. */
  async countByStatus(m: EntityManager, orgId: string): Promise<{ status: DeviceStatus; platform: string; count: number }[]> {
    return m.query(
      `SELECT status, platform, count(*)::int AS count FROM device WHERE org_id = $1 GROUP BY status, platform ORDER BY status, platform`,
      [orgId],
    );
  }

  /** Devices enrolled per UTC day over the last `days` days (days without any are left out). */
  async enrolledPerDay(m: EntityManager, orgId: string, days: number): Promise<{ day: string; count: number }[]> {
    return m.query(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*)::int AS count
         FROM device WHERE org_id = $1 AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => $2 - 1)
        GROUP BY 1 ORDER BY 1`,
      [orgId, days],
    );
  }
}

/** `%`, `_` and backslash in a typed prefix match themselves, not patterns. */
export function likePrefix(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
