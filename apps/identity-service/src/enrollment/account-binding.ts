import type { EntityManager } from 'typeorm';
import type { Account, AccountDirectory } from '../accounts/index.js';
import type { AuditService } from '../audit/index.js';
import type { IdpIdentity } from './claims/idp-identity.js';
import { refuse } from './enrollment.errors.js';
import type { EnrollmentPolicy } from './policy/enrollment-policy.js';

export interface BoundAccount {
  account: Account;
  /** How the account was found: the audit trail says why this person got this account. */
  matchedBy: 'idp_subject' | 'external_id' | 'user_name' | 'email' | 'jit';
}

/**
 * The account the signed-in person enrolls for, locked for the rest of the transaction (so
 * concurrent enrollments of one person count devices one after the other). SCIM-provisioned
 * accounts are found by the bound IdP subject, else by the externalId the IdP provisioned —
 * identifiers the IdP controls. Only with `nameMatch` (the connection opts in and the IdP
 * verified the email) are unbound accounts also found by userName or email, case-insensitively:
 * an email a user can set would otherwise capture someone else's account for good. The subject
 * is bound at that first match; an org that allows it gets the account created just in time. The accounts module's directory does the reading,
 * locking and writing; the matching order and the refusals are enrollment's.
 */
export async function bindAccount(
  m: EntityManager,
  directory: AccountDirectory,
  audit: AuditService,
  orgId: string,
  identity: IdpIdentity,
  policy: EnrollmentPolicy,
  nameMatch = false,
): Promise<BoundAccount> {
  const found = await findAccount(m, directory, orgId, identity, nameMatch);
  if (found) {
    const { account } = found;
    if (account.idpSubject !== null && account.idpSubject !== identity.subject) {
      refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
    }
    if (!account.active) refuse('account_inactive', 'the account is not active');
    if (account.idpSubject === null) {
      await directory.bindIdpSubject(m, orgId, account.id, identity.subject);
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
  return createJustInTime(m, directory, audit, orgId, identity, nameMatch);
}

async function findAccount(
  m: EntityManager,
  directory: AccountDirectory,
  orgId: string,
  identity: IdpIdentity,
  nameMatch: boolean,
): Promise<BoundAccount | null> {
  const bySubject = await directory.lockMatching(m, orgId, { idpSubject: identity.subject });
  if (bySubject) return { account: bySubject, matchedBy: 'idp_subject' };
  const byExternal = await directory.lockMatching(m, orgId, { externalIds: identity.externalIds });
  if (byExternal) return { account: byExternal, matchedBy: 'external_id' };
  if (!nameMatch) return null;
  for (const [value, matchedBy] of [
    [identity.userName, 'user_name'],
    [identity.email, 'email'],
  ] as const) {
    if (!value) continue;
    const byName = await directory.lockMatching(m, orgId, { userName: value });
    if (byName) return { account: byName, matchedBy };
  }
  if (identity.email) {
    const byEmail = await directory.lockMatching(m, orgId, { email: identity.email });
    if (byEmail) return { account: byEmail, matchedBy: 'email' };
  }
  return null;
}

async function createJustInTime(
  m: EntityManager,
  directory: AccountDirectory,
  audit: AuditService,
  orgId: string,
  identity: IdpIdentity,
  nameMatch: boolean,
): Promise<BoundAccount> {
  // A deleted (tombstoned) or deprovisioned identity does not come back as a new account.
  const carrier = await directory.carrying(m, orgId, identity.subject, identity.externalIds);
  if (carrier && !carrier.deleted) {
    // A first enrollment of this person running beside this one may have committed the account
    // after findAccount looked: that is the lost race handled below, not an inactive account.
    const again = await findAccount(m, directory, orgId, identity, nameMatch);
    if (again?.account.active && again.account.idpSubject === identity.subject) return again;
  }
  if (carrier) {
    refuse(
      'account_inactive',
      carrier.deleted
        ? "this person's account was deleted in this org; only the IdP can provision it again"
        : "this person's account exists but is not active",
    );
  }
  const userName = identity.userName ?? identity.email ?? identity.subject;
  const account = await directory.createJustInTime(m, orgId, {
    userName,
    email: identity.email,
    displayName: identity.displayName,
    idpSubject: identity.subject,
  });
  if (!account) {
    // Another first enrollment of this person won the race: use (and lock) its account.
    const again = await findAccount(m, directory, orgId, identity, nameMatch);
    if (!again) refuse('account_subject_mismatch', 'an account with this user name exists but does not match the signed-in user');
    if (again.account.idpSubject !== identity.subject) refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
    if (!again.account.active) refuse('account_inactive', 'the account is not active');
    return again;
  }
  await audit.record(m, {
    orgId,
    actor: `idp-subject:${identity.subject}`,
    action: 'account.jit_create',
    target: `account:${account.id}`,
    details: { userName },
  });
  return { account, matchedBy: 'jit' };
}
