import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Credential } from 'ts-mls';
import type { ClientIdentity } from '#x509-profile';
import { CertificateStatusService, type CertificateStatus } from '../certificates/certificate-status.service.js';
import { judgeCredentials } from '../removals/leaf-credentials.js';

/** The service's answer about one MLS member: may it be (or stay) in a group? */
export interface MemberVerdict {
  valid: boolean;
  status: CertificateStatus | 'not_x509';
  fingerprint?: string;
  identity?: ClientIdentity;
  accountId?: string;
  deviceId?: string;
  /** Device ciphersuite on record (RFC 9420 code point). */
  deviceCiphersuite?: number;
  /** Stable codes: `credential_<status>`, `key_mismatch`, `device_revoked`, `account_inactive`, `not_a_device`… */
  reasons: string[];
}

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
      const reasons: string[] = [];
      if (j.status !== 'valid') reasons.push(`credential_${j.status}`);
      if (j.status !== 'not_x509' && !j.keyBound) reasons.push('key_mismatch');
      const verdict: MemberVerdict = { valid: false, status: j.status, fingerprint: j.fingerprint, identity: j.identity, reasons };
      if (j.identity?.kind === 'device') {
        const d = devices.get(j.identity.deviceId);
        if (!d || d.account_id !== j.identity.accountId) reasons.push('device_unknown');
        else {
          verdict.accountId = d.account_id;
          verdict.deviceId = d.id;
          verdict.deviceCiphersuite = d.ciphersuite;
          if (d.status !== 'active') reasons.push('device_revoked');
          if (!d.active || d.deleted_at) reasons.push('account_inactive');
        }
      } else if (j.identity?.kind === 'service') {
        if (options.requireDevice ?? true) reasons.push('not_a_device');
      }
      verdict.valid = reasons.length === 0;
      return verdict;
    });
  }
}
