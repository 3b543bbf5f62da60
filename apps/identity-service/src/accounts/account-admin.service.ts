import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { keysetPage, type Page } from '../common/paging/index.js';
import { SecretBox } from '../keys/index.js';
import { AccountDeprovisioningService, type DeprovisioningResult } from './account-deprovisioning.service.js';
import { AccountDirectory, isUuid, type AccountGroupRef } from './account-directory.service.js';
import { accountsByStatus, adminAccount, searchAccounts, type AccountSearchFilter, type AdminAccountRow } from './account-search.queries.js';
import { AccountErrors } from './accounts.errors.js';
import { GroupDirectory } from './group-directory.service.js';

export type AdminAccount = Omit<AdminAccountRow, 'position'>;

export interface AccountSearch extends AccountSearchFilter {
  limit: number;
  cursor?: string;
}

/**
 * What an admin does with the org's accounts: find them, look at one, and suspend or resume
 * one by hand. Suspension is the deprovisioning use case (every certificate revoked, Removes
 * planned, a key-transparency entry), recorded as manual; it holds against the IdP until an
 * admin resumes it, and resuming reactivates the account, never its revoked certificates.
 */
@Injectable()
export class AccountAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly directory: AccountDirectory,
    private readonly groups: GroupDirectory,
    private readonly deprovisioning: AccountDeprovisioningService,
    private readonly box: SecretBox,
  ) {}

  async search(orgId: string, q: AccountSearch): Promise<Page<AdminAccount>> {
    const filters = { o: orgId, t: q.text ?? null, f: q.field, m: q.match, s: q.status ?? null };
    return keysetPage(this.box, 'accounts', filters, q, (after, take) => searchAccounts(this.dataSource.manager, orgId, q, after, take));
  }

  async get(orgId: string, id: string): Promise<AdminAccount & { groups: AccountGroupRef[] }> {
    const row = isUuid(id) ? await adminAccount(this.dataSource.manager, orgId, id) : null;
    if (!row) throw AccountErrors.error('unknown_account', `no account ${id} in this org`);
    const { position: _, ...account } = row;
    const groups = (await this.directory.groupsOf(this.dataSource.manager, orgId, [id])).get(id) ?? [];
    return { ...account, groups };
  }

  /** Suspends an active account; suspending a suspended one changes nothing (`changed: false`). */
  async suspend(actor: string, orgId: string, id: string): Promise<DeprovisioningResult> {
    return this.dataSource.transaction(async (m) => {
      const account = await this.directory.lock(m, orgId, id);
      if (!account) throw AccountErrors.error('unknown_account', `no account ${id} in this org`);
      if (account.suspendedAt) return { changed: false, devices: [], certificates: [] };
      if (!account.active) throw AccountErrors.error('account_not_active', 'the IdP deprovisioned this account: only the IdP brings it back');
      return this.deprovisioning.deprovision(m, { orgId, accountId: id, actor, mode: 'suspend' });
    });
  }

  /**
   * Lifts a manual suspension, if the account still holds the org's entitlement (the rule
   * SCIM reactivation, enrollment and renewal follow).
   */
  async resume(actor: string, orgId: string, id: string, entitlement: { id: string | null; displayName: string | null }): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const account = await this.directory.lock(m, orgId, id);
      if (!account) throw AccountErrors.error('unknown_account', `no account ${id} in this org`);
      if (!(await this.groups.entitled(m, orgId, id, entitlement))) {
        throw AccountErrors.error('account_not_entitled', "the account is not a member of the org's entitlement group, so it is not resumed");
      }
      await this.deprovisioning.resume(m, { orgId, accountId: id, actor });
    });
  }

  /** The org's accounts (tombstones aside) per admin status. */
  countByStatus(orgId: string) {
    return accountsByStatus(this.dataSource.manager, orgId);
  }
}
