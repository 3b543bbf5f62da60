import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { OrgErrors, OrgsService, type IdpConnection, type Org } from '../orgs/index.js';
import { AccountDirectory, isUuid } from './account-directory.service.js';
import { bindingsOfAccount, carrierOf, deleteBinding, insertLink, type IdpBinding } from './account-idp-binding.queries.js';
import { AccountErrors } from './accounts.errors.js';

export interface IdpLinkView {
  id: string;
  idpConnectionId: string;
  idpConnection: string;
  /** Null until the person's first sign-in through the connection binds it. */
  subject: string | null;
  linkedBy: IdpBinding['linkedBy'];
  createdAt: Date;
  boundAt: Date | null;
}

/**
 * Which IdP connections may sign an account in: one person with both an Okta and an Entra
 * identity in one org. A first sign-in binds an account through one connection on its own;
 * every further connection is an admin's explicit link (with the subject, or bound at the
 * person's first sign-in there). Every change is audited.
 */
@Injectable()
export class AccountIdpLinksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly directory: AccountDirectory,
    private readonly orgs: OrgsService,
    private readonly audit: AuditService,
  ) {}

  async list(org: Org, accountId: string): Promise<IdpLinkView[]> {
    const m = this.dataSource.manager;
    if (!(await this.directory.find(m, org.id, accountId))) throw unknownAccount(accountId);
    return this.views(org, await bindingsOfAccount(m, org.id, accountId));
  }

  async link(actor: string, org: Org, accountId: string, input: { idpConnection: string; subject?: string }): Promise<IdpLinkView> {
    const connection = await this.connection(org, input.idpConnection);
    // Entra subjects are derived lower-case (tid:oid); an admin may paste them as the portal shows them.
    const subject = input.subject === undefined ? null : connection.kind === 'entra' ? input.subject.toLowerCase() : input.subject;
    return this.dataSource.transaction(async (m) => {
      await this.lockAccount(m, org, accountId);
      const link = await insertLink(m, org.id, accountId, connection.id, subject);
      if (!link) {
        const here = (await bindingsOfAccount(m, org.id, accountId)).find((b) => b.idpConnectionId === connection.id);
        if (here) throw AccountErrors.error('idp_link_exists', `the account is already linked to IdP connection "${connection.name}"`);
        const carrier = subject === null ? null : await carrierOf(m, org.id, connection.id, subject);
        throw AccountErrors.error('idp_subject_taken', `another account of the org is bound to this subject of "${connection.name}"`, {
          accountId: carrier?.id,
        });
      }
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'account.idp_link',
        target: `account:${accountId}`,
        details: { idpConnection: connection.id, subject },
      });
      return (await this.views(org, [link]))[0];
    });
  }

  /** The connection no longer signs the account in (its devices stay; the IdP deprovisions people). */
  async unlink(actor: string, org: Org, accountId: string, linkId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.lockAccount(m, org, accountId);
      const removed = isUuid(linkId) ? await deleteBinding(m, org.id, accountId, linkId) : null;
      if (!removed) throw AccountErrors.error('idp_link_not_found', `the account has no IdP link ${linkId}`);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'account.idp_unlink',
        target: `account:${accountId}`,
        details: { idpConnection: removed.idpConnectionId, subject: removed.subject, linkedBy: removed.linkedBy },
      });
    });
  }

  private async lockAccount(m: EntityManager, org: Org, accountId: string): Promise<void> {
    if (!isUuid(accountId) || !(await this.directory.lock(m, org.id, accountId))) throw unknownAccount(accountId);
  }

  private async connection(org: Org, idOrName: string): Promise<IdpConnection> {
    const found = (await this.orgs.listIdpConnections(org.id)).find((c) => c.id === idOrName || c.name === idOrName);
    if (!found) throw OrgErrors.error('idp_connection_not_found', `no IdP connection "${idOrName}" in this org`);
    return found;
  }

  private async views(org: Org, bindings: IdpBinding[]): Promise<IdpLinkView[]> {
    const names = new Map((await this.orgs.listIdpConnections(org.id)).map((c) => [c.id, c.name]));
    return bindings.map((b) => ({
      id: b.id,
      idpConnectionId: b.idpConnectionId,
      idpConnection: names.get(b.idpConnectionId) ?? b.idpConnectionId,
      subject: b.subject,
      linkedBy: b.linkedBy,
      createdAt: b.createdAt,
      boundAt: b.boundAt,
    }));
  }
}

const unknownAccount = (id: string) => AccountErrors.error('unknown_account', `no account ${id} in the org`);
