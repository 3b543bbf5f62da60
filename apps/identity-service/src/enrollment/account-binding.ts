import type { EntityManager } from 'typeorm';
import type { Account, AccountDirectory, IdpSubjectRef } from '../accounts/index.js';
import type { AuditService } from '../audit/index.js';
import type { IdpConnection } from '../orgs/index.js';
import type { IdpIdentity } from './claims/idp-identity.js';
import { refuse } from './enrollment.errors.js';
import type { EnrollmentPolicy } from './policy/enrollment-policy.js';

export interface BoundAccount {
  account: Account;
  /** How the account was found: the audit trail says why this person got this account. */
  matchedBy: 'idp_subject' | 'external_id' | 'user_name' | 'email' | 'jit';
}

/** Who signed in, and through which of the org's IdP connections. */
export interface SignedInPerson {
  connection: Pick<IdpConnection, 'id' | 'matchByVerifiedEmail'>;
  identity: IdpIdentity;
}

/**
 * The account the signed-in person enrolls for, locked for the rest of the transaction (so
 * concurrent enrollments of one person count devices one after the other). Subjects are
 * namespaced by IdP connection: an account is found by the subject bound under the connection
 * the person signed in through, else by the externalId the IdP provisioned — identifiers the
 * IdP controls. Only where this connection opts in (`matchByVerifiedEmail`) and the IdP verified
 * the email are accounts also found by userName or email, case-insensitively.
 *
 * A match that is not the bound subject binds it under this connection only if the account has
 * no binding yet (its first sign-in anywhere) or an admin linked the account to this connection;
 * an account bound through another connection is not captured by a second IdP that names the
 * same person (or merely the same `sub`). An org that allows it gets the account created just in
 * time. The accounts module's directory does the reading, locking and writing; the matching
 * order and the refusals are enrollment's.
 */
export async function bindAccount(
  m: EntityManager,
  directory: AccountDirectory,
  audit: AuditService,
  orgId: string,
  person: SignedInPerson,
  policy: EnrollmentPolicy,
): Promise<BoundAccount> {
  const bound: IdpSubjectRef = { connectionId: person.connection.id, subject: person.identity.subject };
  const nameMatch = person.connection.matchByVerifiedEmail && person.identity.emailVerified;
  const found = await findAccount(m, directory, orgId, bound, person.identity, nameMatch);
  if (found) {
    const { account } = found;
    if (found.matchedBy !== 'idp_subject') await checkBindable(m, directory, orgId, account, bound);
    if (!account.active) refuse('account_inactive', 'the account is not active');
    if (found.matchedBy !== 'idp_subject') {
      if (!(await directory.bindIdpSubject(m, orgId, account.id, bound))) {
        // A first enrollment of this person running beside this one may have bound this very
        // subject to this very account after findAccount looked: that is the same person.
        const bySubject = await directory.lockMatching(m, orgId, { bound });
        if (bySubject?.id === account.id && bySubject.active) return { account: bySubject, matchedBy: 'idp_subject' };
        refuse('account_subject_mismatch', 'this IdP identity is bound to another account');
      }
      await audit.record(m, {
        orgId,
        actor: `idp-subject:${bound.subject}`,
        action: 'account.bind_idp_subject',
        target: `account:${account.id}`,
        details: { matchedBy: found.matchedBy, idpConnection: bound.connectionId },
      });
    }
    return found;
  }
  if (!policy.allowJitAccounts) refuse('account_not_found', 'no account in this org for the signed-in user');
  return createJustInTime(m, directory, audit, orgId, bound, person.identity, nameMatch);
}

/**
 * A first sign-in through this connection may bind the account only when the account holds no
 * subject under it and either holds no binding at all or an admin linked it to this connection.
 */
async function checkBindable(m: EntityManager, directory: AccountDirectory, orgId: string, account: Account, bound: IdpSubjectRef): Promise<void> {
  const bindings = await directory.idpBindingsOf(m, orgId, account.id);
  const here = bindings.find((b) => b.idpConnectionId === bound.connectionId);
  if (here && here.subject !== null && here.subject !== bound.subject) {
    refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
  }
  if (!here && bindings.length > 0) {
    refuse('account_not_linked', 'the matching account signs in through another IdP connection; an admin must link it to this one', {
      idpConnection: bound.connectionId,
    });
  }
}

async function findAccount(
  m: EntityManager,
  directory: AccountDirectory,
  orgId: string,
  bound: IdpSubjectRef,
  identity: IdpIdentity,
  nameMatch: boolean,
): Promise<BoundAccount | null> {
  const bySubject = await directory.lockMatching(m, orgId, { bound });
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
  bound: IdpSubjectRef,
  identity: IdpIdentity,
  nameMatch: boolean,
): Promise<BoundAccount> {
  // A deleted (tombstoned) or deprovisioned identity does not come back as a new account.
  const carrier = await directory.carrying(m, orgId, bound, identity.externalIds);
  if (carrier && !carrier.deleted) {
    // A first enrollment of this person running beside this one may have committed the account
    // after findAccount looked: that is the lost race handled below, not an inactive account.
    const again = await findAccount(m, directory, orgId, bound, identity, nameMatch);
    if (again?.matchedBy === 'idp_subject' && again.account.active) return again;
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
    bound,
  });
  if (!account) {
    // Another first enrollment of this person won the race: use (and lock) its account.
    const again = await findAccount(m, directory, orgId, bound, identity, nameMatch);
    if (!again) refuse('account_subject_mismatch', 'an account with this user name exists but does not match the signed-in user');
    if (again.matchedBy !== 'idp_subject') refuse('account_subject_mismatch', 'the matching account is bound to another IdP identity');
    if (!again.account.active) refuse('account_inactive', 'the account is not active');
    return again;
  }
  await audit.record(m, {
    orgId,
    actor: `idp-subject:${bound.subject}`,
    action: 'account.jit_create',
    target: `account:${account.id}`,
    details: { userName, idpConnection: bound.connectionId },
  });
  return { account, matchedBy: 'jit' };
}
