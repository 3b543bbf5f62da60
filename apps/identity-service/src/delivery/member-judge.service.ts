import { Injectable } from '@nestjs/common';
import type { Credential } from 'ts-mls';
import { AccountDirectory, isActiveAccount } from '../accounts/index.js';
import { CertificateStatusService } from '../certificates/index.js';
import { DevicesService } from '../devices/index.js';
import { judgeCredentials } from '../removals/index.js';
import { memberVerdict, type DeviceStanding, type MemberVerdict } from './member-verdict.js';

export type { MemberVerdict } from './member-verdict.js';

/**
 * Judges credentials the way the delivery-service API needs: certificate status (ours, on
 * record), the §5.3.1 key binding, and the device and account behind it being active.
 * Batched, so a 100-member roster costs one status query, one device and one account query.
 */
@Injectable()
export class MemberJudgeService {
  constructor(
    private readonly status: CertificateStatusService,
    private readonly devices: DevicesService,
    private readonly accounts: AccountDirectory,
  ) {}

  async judge(
    orgId: string,
    members: readonly { credential: Credential; signaturePublicKey: Uint8Array }[],
    options: { checkKeys?: boolean; requireDevice?: boolean } = {},
  ): Promise<MemberVerdict[]> {
    const judged = await judgeCredentials(this.status, orgId, members, options.checkKeys ?? true);
    const deviceIds = [...new Set(judged.flatMap((j) => (j.identity?.kind === 'device' ? [j.identity.deviceId] : [])))];
    const onRecord = await this.devices.findByIds(orgId, deviceIds);
    const accounts = await this.accounts.findByIds(orgId, [...new Set(onRecord.map((d) => d.accountId))]);
    const active = new Map(accounts.map((a) => [a.id, isActiveAccount(a)]));
    // a device whose account row is gone counts as unknown, as the former device-account join had it
    const devices = new Map<string, DeviceStanding>(
      onRecord.filter((d) => active.has(d.accountId)).map((d) => [d.id, { ...d, accountActive: active.get(d.accountId)! }]),
    );
    return judged.map((j) =>
      memberVerdict(j, j.identity?.kind === 'device' ? devices.get(j.identity.deviceId) : undefined, options.requireDevice ?? true),
    );
  }
}
