import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { DeviceRevocationService, DevicesService, type RevocationResult } from '../devices/index.js';
import { OutboxService } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import type { Account } from './account.entity.js';
import { AccountDirectory } from './account-directory.service.js';
import { AccountErrors } from './accounts.errors.js';

export interface Deprovisioning {
  orgId: string;
  accountId: string;
  actor: string;
  /**
   * `deactivate`: SCIM active=false (both IdPs); `delete`: SCIM DELETE, a tombstone remains;
   * `suspend`: an admin, by hand (recorded as `manual`; it holds until an admin resumes it).
   */
  mode: 'deactivate' | 'delete' | 'suspend';
}

export interface DeprovisioningResult extends RevocationResult {
  /** False when the account was already in that state (an IdP retry). */
  changed: boolean;
}

/**
 * Offboarding, the security-critical use case: run inside the caller's transaction (the
 * SCIM request's), so the account state, every revocation and every outbox event commit
 * together before the IdP gets its answer (invariant 1 in docs/architecture.md). Replays change nothing.
 */
@Injectable()
export class AccountDeprovisioningService {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly devices: DevicesService,
    private readonly revocation: DeviceRevocationService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  private async lock(m: EntityManager, orgId: string, accountId: string): Promise<Account> {
    const account = await this.directory.lock(m, orgId, accountId, { includeDeleted: true });
    if (!account) throw AccountErrors.error('unknown_account', `no account ${accountId}`);
    return account;
  }

  async deprovision(m: EntityManager, d: Deprovisioning): Promise<DeprovisioningResult> {
    const account = await this.lock(m, d.orgId, d.accountId);
    const now = new Date();
    const wasActive = account.active;
    const deleting = d.mode === 'delete' && account.deletedAt === null;
    const suspending = d.mode === 'suspend' && wasActive;
    // The IdP deprovisioning a suspended account takes over: from then on only the IdP brings
    // it back (an admin's resume would otherwise undo the IdP's decision).
    const idpTakesOver = d.mode !== 'suspend' && account.suspendedAt !== null;
    if (wasActive || deleting || idpTakesOver) {
      account.active = false;
      account.deprovisionedAt ??= now;
      if (deleting) account.deletedAt = now;
      if (suspending) {
        account.suspendedAt = now;
        account.suspendedBy = d.actor;
      }
      if (idpTakesOver) {
        account.suspendedAt = null;
        account.suspendedBy = null;
      }
      account.version += 1;
      await m.save(account);
    }
    const devices = await this.devices.activeOfAccounts(d.orgId, [d.accountId], m);
    const revoked = await this.revocation.revokeDevices(m, {
      orgId: d.orgId,
      deviceIds: devices.map((x) => x.id),
      reason: d.mode === 'suspend' ? 'privilegeWithdrawn' : 'cessationOfOperation',
      actor: d.actor,
    });
    const changed = wasActive || deleting;
    if (wasActive) {
      await this.outbox.enqueue(
        m,
        ktAppend({
          type: 'account_deprovisioned',
          orgId: d.orgId,
          accountId: d.accountId,
          reason: d.mode === 'suspend' ? 'manual' : d.mode,
          timestamp: now.toISOString(),
        }),
      );
    }
    if (changed) {
      await this.audit.record(m, {
        orgId: d.orgId,
        actor: d.actor,
        action: d.mode === 'delete' ? 'account.delete' : d.mode === 'suspend' ? 'account.suspend' : 'account.deactivate',
        target: `account:${d.accountId}`,
        details: {
          devicesRevoked: revoked.devices.length,
          certificatesRevoked: revoked.certificates.length,
          ...(d.mode === 'suspend' && { manual: true }),
        },
      });
    }
    return { ...revoked, changed };
  }

  /**
   * active=true again (the IdP says so): the account may enroll new devices; its old devices
   * stay revoked. An account an admin suspended stays suspended: only an admin resumes it.
   */
  async reactivate(m: EntityManager, r: { orgId: string; accountId: string; actor: string }): Promise<boolean> {
    const account = await this.lock(m, r.orgId, r.accountId);
    if (account.active || account.deletedAt || account.suspendedAt) return false;
    await this.activate(m, account, r.actor, 'account.reactivate');
    return true;
  }

  /**
   * An admin lifts a manual suspension: the account is active again (the caller checked the
   * entitlement); certificates revoked by the suspension stay revoked, devices enroll anew.
   */
  async resume(m: EntityManager, r: { orgId: string; accountId: string; actor: string }): Promise<void> {
    const account = await this.lock(m, r.orgId, r.accountId);
    if (account.deletedAt || account.suspendedAt === null) {
      throw AccountErrors.error('account_not_suspended', 'the account is not suspended by an admin (the IdP decides whether it is active)');
    }
    account.suspendedAt = null;
    account.suspendedBy = null;
    await this.activate(m, account, r.actor, 'account.resume');
  }

  private async activate(m: EntityManager, account: Account, actor: string, action: 'account.reactivate' | 'account.resume'): Promise<void> {
    const now = new Date();
    const manual = action === 'account.resume';
    account.active = true;
    account.deprovisionedAt = null;
    account.version += 1;
    await m.save(account);
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: 'account_reactivated',
        orgId: account.orgId,
        accountId: account.id,
        ...(manual && { reason: 'manual' }),
        timestamp: now.toISOString(),
      }),
    );
    await this.audit.record(m, {
      orgId: account.orgId,
      actor,
      action,
      target: `account:${account.id}`,
      ...(manual && { details: { manual: true } }),
    });
  }
}
