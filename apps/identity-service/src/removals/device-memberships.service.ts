import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { removalSlas } from '../orgs/index.js';
import { openRemovalSql } from './removal.repository.js';
import { REMOVAL_VIEW_COLUMNS, removalView, type RemovalView, type RemovalViewRow } from './removal.view.js';

/** A device's leaf in a registered MLS group, as the group's last accepted report shows it. */
export interface DeviceMembership {
  deviceId: string;
  /** RFC 9420 group_id, unpadded base64url (as in /v1/ds/groups/{groupId}). */
  groupId: string;
  epoch: string;
  leafIndex: number;
  /** The delivery-service client that reports the group (null: registered before ownership). */
  dsClientId: string | null;
  reportedAt: Date;
}

export interface OverdueRemovalGroup {
  groupId: string;
  dsClientId: string | null;
  overdue: number;
  oldestPlannedAt: Date;
}

/**
 * Questions admins ask about the registry: which groups a device is in, which removals of
 * these devices are still open, and where removals are overdue (by group and delivery service).
 */
@Injectable()
export class DeviceMembershipsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async groupsOfDevices(orgId: string, deviceIds: readonly string[]): Promise<DeviceMembership[]> {
    if (deviceIds.length === 0) return [];
    const rows: { device_id: string; group_id: Buffer; epoch: string; leaf_index: number; ds_client_id: string | null; updated_at: Date }[] =
      await this.dataSource.query(
        `SELECT gm.device_id, g.group_id, g.epoch, gm.leaf_index, g.ds_client_id, g.updated_at
           FROM mls_group_member gm JOIN mls_group g ON g.id = gm.group_ref
          WHERE g.org_id = $1 AND gm.device_id = ANY($2::uuid[])
          ORDER BY g.updated_at DESC, g.id, gm.leaf_index`,
        [orgId, [...deviceIds]],
      );
    return rows.map((r) => ({
      deviceId: r.device_id,
      groupId: Buffer.from(r.group_id).toString('base64url'),
      epoch: String(r.epoch),
      leafIndex: r.leaf_index,
      dsClientId: r.ds_client_id,
      reportedAt: r.updated_at,
    }));
  }

  /** The open removals of these devices (signed, not yet committed), oldest first. */
  async openRemovalsOfDevices(orgId: string, deviceIds: readonly string[]): Promise<RemovalView[]> {
    if (deviceIds.length === 0) return [];
    const rows: RemovalViewRow[] = await this.dataSource.query(
      `SELECT ${REMOVAL_VIEW_COLUMNS} FROM removal r JOIN mls_group g ON g.id = r.group_ref
        WHERE r.org_id = $1 AND r.device_id = ANY($2::uuid[]) AND ${openRemovalSql('r')} ORDER BY r.planned_at, r.id`,
      [orgId, [...deviceIds]],
    );
    return rows.map(removalView);
  }

  /** Open removals past the org's SLA, counted per group and the delivery service that reports it. */
  async overdueByGroup(orgId: string): Promise<{ overdueAfterMinutes: number; groups: OverdueRemovalGroup[] }> {
    const [sla] = await removalSlas(this.dataSource, orgId);
    if (!sla) return { overdueAfterMinutes: 0, groups: [] };
    const rows: { group_id: Buffer; ds_client_id: string | null; overdue: number; oldest: Date }[] = await this.dataSource.query(
      `SELECT g.group_id, g.ds_client_id, count(*)::int AS overdue, min(r.planned_at) AS oldest
         FROM removal r JOIN mls_group g ON g.id = r.group_ref
        WHERE r.org_id = $1 AND ${openRemovalSql('r')} AND r.planned_at < now() - make_interval(mins => $2)
        GROUP BY g.id, g.group_id, g.ds_client_id ORDER BY oldest`,
      [orgId, sla.overdueAfterMinutes],
    );
    return {
      overdueAfterMinutes: sla.overdueAfterMinutes,
      groups: rows.map((r) => ({
        groupId: Buffer.from(r.group_id).toString('base64url'),
        dsClientId: r.ds_client_id,
        overdue: r.overdue,
        oldestPlannedAt: r.oldest,
      })),
    };
  }
}
