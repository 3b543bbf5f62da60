import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Credential } from 'ts-mls';
import { CertificateStatusService } from '../certificates/index.js';
import { judgeCredentials } from '../removals/index.js';
import { memberVerdict, type MemberVerdict } from './member-verdict.js';

export type { MemberVerdict } from './member-verdict.js';

interface DeviceRow {
  id: string;
  account_id: string;
  status: string;
  ciphersuite: number;
  active: boolean;
  deleted_at: Date | null;
}

/**
 * Judges credentials the way the delivery-service API needs: certificate status (ours, on
 * record), the §5.3.1 key binding, and the device and account behind it being active.
 * Batched, so a 100-member roster costs one status query and one account query.
 */
@Injectable()
export class MemberJudgeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly status: CertificateStatusService,
  ) {}

  async judge(
    orgId: string,
    members: readonly { credential: Credential; signaturePublicKey: Uint8Array }[],
    options: { checkKeys?: boolean; requireDevice?: boolean } = {},
  ): Promise<MemberVerdict[]> {
    const judged = await judgeCredentials(this.status, orgId, members, options.checkKeys ?? true);
    const deviceIds = [...new Set(judged.flatMap((j) => (j.identity?.kind === 'device' ? [j.identity.deviceId] : [])))];
    const devices = new Map<string, DeviceRow>();
    if (deviceIds.length > 0) {
      const rows: DeviceRow[] = await this.dataSource.query(
        `SELECT d.id, d.account_id, d.status, d.ciphersuite, a.active, a.deleted_at
           FROM device d JOIN account a ON a.id = d.account_id
          WHERE d.org_id = $1 AND d.id::text = ANY($2::text[])`,
        [orgId, deviceIds],
      );
      for (const r of rows) devices.set(r.id, r);
    }
    return judged.map((j) => {
      const d = j.identity?.kind === 'device' ? devices.get(j.identity.deviceId) : undefined;
      const standing = d && { id: d.id, accountId: d.account_id, status: d.status, ciphersuite: d.ciphersuite, accountActive: d.active && !d.deleted_at };
      return memberVerdict(j, standing, options.requireDevice ?? true);
    });
  }
}
