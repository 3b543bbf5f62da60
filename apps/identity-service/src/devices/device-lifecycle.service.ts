import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { CertificateRevocationService, type RevokedCertificateRow } from '../certificates/index.js';
import { Metrics } from '../metrics/index.js';
import { effectiveSettings, OrgsService, type Org } from '../orgs/index.js';
import { OutboxService, type OutboxEvent } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { DeviceRepository, type DeviceRecord } from './device.repository.js';
import { DEVICES_REVOKED_TOPIC, EXPIRED_REASON, type DevicesRevokedPayload } from './devices-revoked.topic.js';

const DAY_MS = 86_400_000;
/** Devices (or certificates) handled per transaction by the sweep. */
const SWEEP_BATCH = 200;
const SWEEP_EVERY_MS = 60_000;
const ACTOR = 'system:device-lifecycle';

export interface SweepResult {
  expired: number;
  superseded: number;
}

/**
 * What happens to devices and certificates with time, without anyone asking:
 * - a device whose newest certificate ended more than the org's `expiredDeviceGraceDays` ago
 *   (no renewal, no re-authentication) becomes `expired`: it no longer counts toward the
 *   device limit, and the devices-revoked topic plans the removal of its leaves like any
 *   revocation's (one removal path); a `device_expired` key-transparency entry records it;
 * - a superseded certificate is revoked (reason superseded) once the device's leaves show a
 *   newer certificate (the removals module reports what leaves show), or `supersededGraceDays`
 *   after it was superseded.
 *
 * The periodic sweep runs on every replica. Each batch locks its rows with SKIP LOCKED and
 * changes only rows still in the state it read, so two replicas split the work and never do
 * it twice. `now` is a parameter so that tests move time, not sleep.
 */
@Injectable()
export class DeviceLifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(DeviceLifecycleService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private readonly expiredTotal: Counter;
  private readonly retiredTotal: Counter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly certificates: CertificateRevocationService,
    private readonly revocation: DeviceRevocationService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly orgs: OrgsService,
    metrics: Metrics,
  ) {
    const registers = [metrics.registry];
    this.expiredTotal = new Counter({
      name: 'devices_expired_total',
      help: 'devices expired after their certificate lapsed beyond the grace',
      registers,
    });
    this.retiredTotal = new Counter({
      name: 'certificates_superseded_revoked_total',
      help: 'superseded certificates revoked, by what retired them (leaf: groups show the new one; grace: the grace ran out)',
      labelNames: ['trigger'],
      registers,
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((e) => this.log.error(`device lifecycle sweep failed: ${e.message}`)), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass over every org. Overlapping calls on one replica are skipped (answering zeros). */
  async sweep(now: Date = new Date()): Promise<SweepResult> {
    const total: SweepResult = { expired: 0, superseded: 0 };
    if (this.sweeping) return total;
    this.sweeping = true;
    try {
      for (const org of await this.orgs.list()) {
        total.expired += await this.expireLapsed(org, now);
        total.superseded += await this.retireSuperseded(org, now);
      }
      return total;
    } finally {
      this.sweeping = false;
    }
  }

  /** The org's devices past their grace become expired, batch by batch. */
  async expireLapsed(org: Pick<Org, 'id' | 'settings'>, now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - effectiveSettings(org.settings).certificates.expiredDeviceGraceDays * DAY_MS);
    let count = 0;
    for (;;) {
      const done = await this.dataSource.transaction(async (m) => {
        const lapsed = await this.devices.lockLapsed(m, org.id, cutoff, SWEEP_BATCH);
        return { seen: lapsed.length, expired: (await this.expire(m, org.id, lapsed, now)).length };
      });
      count += done.expired;
      this.expiredTotal.inc(done.expired);
      if (done.seen < SWEEP_BATCH) return count;
    }
  }

  /**
   * Enrollment, before it counts the account's devices: those past their grace expire now
   * rather than at the next sweep, in the enrolling transaction.
   */
  async expireLapsedOfAccount(m: EntityManager, org: Pick<Org, 'id' | 'settings'>, accountId: string, now: Date = new Date()): Promise<string[]> {
    const cutoff = new Date(now.getTime() - effectiveSettings(org.settings).certificates.expiredDeviceGraceDays * DAY_MS);
    const lapsed = (await this.devices.activeOfAccounts(m, org.id, [accountId])).filter(
      (d) => d.credentialNotAfter !== null && d.credentialNotAfter < cutoff,
    );
    const expired = await this.expire(m, org.id, lapsed, now);
    this.expiredTotal.inc(expired.length);
    return expired;
  }

  /**
   * These (locked) devices become expired, in `m`: key-transparency entries, removal planning
   * through the devices-revoked topic, status caches, audit. Returns the ids that changed.
   */
  private async expire(m: EntityManager, orgId: string, devices: readonly DeviceRecord[], now: Date): Promise<string[]> {
    if (devices.length === 0) return [];
    const changed = new Set(
      await this.devices.expireActive(
        m,
        orgId,
        devices.map((d) => d.id),
        now,
      ),
    );
    const expired = devices.filter((d) => changed.has(d.id));
    if (expired.length === 0) return [];
    const events: OutboxEvent[] = expired.map((d) =>
      ktAppend({
        type: 'device_expired',
        orgId,
        accountId: d.accountId,
        deviceId: d.id,
        signatureKeySha256: d.signatureKeySha256.toString('hex'),
        reason: EXPIRED_REASON,
        timestamp: now.toISOString(),
      }),
    );
    events.push({
      orgId,
      topic: DEVICES_REVOKED_TOPIC,
      payload: { deviceIds: expired.map((d) => d.id), reason: EXPIRED_REASON } satisfies DevicesRevokedPayload,
    });
    await this.outbox.enqueue(m, ...events);
    await this.certificates.statusChanged(m, orgId);
    await this.audit.record(
      m,
      ...expired.map((d) => ({
        orgId,
        actor: ACTOR,
        action: 'device.expire',
        target: `device:${d.id}`,
        details: { accountId: d.accountId, credentialNotAfter: d.credentialNotAfter?.toISOString() ?? null },
      })),
    );
    return expired.map((d) => d.id);
  }

  /** Superseded certificates of the org whose grace ran out are revoked (reason superseded). */
  async retireSuperseded(org: Pick<Org, 'id' | 'settings'>, now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - effectiveSettings(org.settings).certificates.supersededGraceDays * DAY_MS);
    let count = 0;
    for (;;) {
      const revoked = await this.dataSource.transaction(async (m) => {
        const rows = await this.certificates.revokeSupersededBefore(m, { orgId: org.id, cutoff, at: now, limit: SWEEP_BATCH });
        await this.superseded(m, org.id, rows, now);
        return rows.length;
      });
      count += revoked;
      this.retiredTotal.inc({ trigger: 'grace' }, revoked);
      if (revoked < SWEEP_BATCH) return count;
    }
  }

  /**
   * What the devices' leaves show, across every group the registry knows (device id → SHA-256
   * of each certificate its leaves carry): superseded certificates no leaf shows any more,
   * now that a leaf shows a newer one, are revoked (reason superseded). In `m`.
   */
  async leavesShow(m: EntityManager, orgId: string, shown: ReadonlyMap<string, readonly Buffer[]>, now: Date = new Date()): Promise<number> {
    const rows = await this.certificates.revokeSupersededNotShown(m, { orgId, shown, at: now });
    await this.superseded(m, orgId, rows, now);
    // Counted before the report's transaction commits: a rolled-back report may over-count by its few rows.
    this.retiredTotal.inc({ trigger: 'leaf' }, rows.length);
    return rows.length;
  }

  private async superseded(m: EntityManager, orgId: string, rows: readonly RevokedCertificateRow[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    const deviceIds = [...new Set(rows.map((r) => r.deviceId).filter((id): id is string => id !== null))];
    const devices = await this.devices.findByIds(m, orgId, deviceIds);
    await this.revocation.certificatesRevoked(m, { orgId, actor: ACTOR, reason: 'superseded', at: now, certificates: rows, devices });
  }
}
