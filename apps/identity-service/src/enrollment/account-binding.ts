import type { EntityManager } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import type { AuditService } from '../audit/audit.service.js';
import type { IdpIdentity } from './claims/idp-identity.js';
import { refuse } from './enrollment.errors.js';
import type { EnrollmentPolicy } from './policy/enrollment-policy.js';

export interface BoundAccount {
  account: Account;
  /** How the account was found: the audit trail says why this person got this account. */
  matchedBy: 'idp_subject' | 'external_id' | 'user_name' | 'email' | 'jit';
}

const lockAccount = (m: EntityManager) =>
  m.getRepository(Account).createQueryBuilder('a').setLock('pessimistic_write').where('a.org_id = :orgId AND a.deleted_at IS NULL');

/**
 * The account the signed-in person enrolls for, locked for the rest of the transaction (so
 * concurrent enrollments of one person count devices one after the other). SCIM-provisioned
 * accounts are found by the bound IdP subject, else by externalId, else by userName or email
 * (case-insensitively), and the subject is bound at that first match; an org that allows it
 * gets the account created just in time.
 */
export async function bindAccount(
  m: EntityManager,
  audit: AuditService,
  orgId: string,
  identity: IdpIdentity,
  policy: EnrollmentPolicy,
): Promise<BoundAccount> {
  const found = await findAccount(m, orgId, identity);
  if (found) {
    const { account } = found;
    if (account.idpSubject !== null && account.idpSubject !== identity.subject) {
      refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
    }
    if (!account.active) refuse('account_inactive', 'the account is not active');
    if (account.idpSubject === null) {
      await m.update(Account, { id: account.id, orgId }, { idpSubject: identity.subject });
      account.idpSubject = identity.subject;
      await audit.record(m, {
        orgId,
        actor: `idp-subject:${identity.subject}`,
        action: 'account.bind_idp_subject',
        target: `account:${account.id}`,
        details: { matchedBy: found.matchedBy },
      });
    }
    return found;
  }
  if (!policy.allowJitAccounts) refuse('account_not_found', 'no account in this org for the signed-in user');
  return createJustInTime(m, audit, orgId, identity);
}

async function findAccount(m: EntityManager, orgId: string, identity: IdpIdentity): Promise<BoundAccount | null> {
  const bySubject = await lockAccount(m).andWhere('a.idp_subject = :s', { orgId, s: identity.subject }).getOne();
  if (bySubject) return { account: bySubject, matchedBy: 'idp_subject' };
  if (identity.externalIds.length > 0) {
    const byExternal = await lockAccount(m)
      .andWhere('a.external_id IN (:...ids)', { orgId, ids: identity.externalIds })
      .orderBy('a.created_at', 'ASC')
      .getOne();
    if (byExternal) return { account: byExternal, matchedBy: 'external_id' };
  }
  for (const [value, matchedBy] of [
    [identity.userName, 'user_name'],
    [identity.email, 'email'],
  ] as const) {
    if (!value) continue;
    const byName = await lockAccount(m).andWhere('lower(a.user_name) = lower(:v)', { orgId, v: value }).getOne();
    if (byName) return { account: byName, matchedBy };
  }
  if (identity.email) {
    const byEmail = await lockAccount(m)
      .andWhere('lower(a.email) = lower(:v)', { orgId, v: identity.email })
      .orderBy('a.created_at', 'ASC')
      .getOne();
    if (byEmail) return { account: byEmail, matchedBy: 'email' };
  }
  return null;
}

async function createJustInTime(m: EntityManager, audit: AuditService, orgId: string, identity: IdpIdentity): Promise<BoundAccount> {
  const userName = identity.userName ?? identity.email ?? identity.subject;
  // Two first enrollments of one new person race here: the unique userName index lets one
  // insert win, and the other then finds (and locks) that account.
  const inserted: { id: string }[] = await m.query(
    `INSERT INTO account (org_id, user_name, email, display_name, idp_subject, external_id)
     VALUES ($1, $2, $3, $4, $5, NULL)
     ON CONFLICT (org_id, lower(user_name)) WHERE deleted_at IS NULL DO NOTHING
     RETURNING id`,
    [orgId, userName, identity.email, identity.displayName, identity.subject],
  );
  if (inserted.length === 0) {
    const again = await findAccount(m, orgId, identity);
    if (!again) refuse('account_subject_mismatch', 'an account with this user name exists but does not match the signed-in user');
    if (again.account.idpSubject !== identity.subject) refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
    if (!again.account.active) refuse('account_inactive', 'the account is not active');
    return again;
  }
  const account = await lockAccount(m).andWhere('a.id = :id', { orgId, id: inserted[0].id }).getOneOrFail();
  await audit.record(m, {
    orgId,
    actor: `idp-subject:${identity.subject}`,
    action: 'account.jit_create',
    target: `account:${account.id}`,
    details: { userName },
  });
  return { account, matchedBy: 'jit' };
}
