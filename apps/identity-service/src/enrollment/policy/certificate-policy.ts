import { mailboxDomain } from '#x509-profile';
import { type Account, isActiveAccount } from '../../accounts/index.js';
import type { DeviceIdentity } from '../../certificates/index.js';
import { effectiveSettings } from '../../orgs/index.js';
import { refuse } from '../enrollment.errors.js';

/**
 * Who a device certificate names, decided before the CA is asked: only an active account
 * with an email (or a UPN-like userName) to certify as rfc822Name, in one of the org's
 * verified domains when it has any. An email elsewhere refuses the certificate rather than
 * leaving the name out: the device would otherwise carry a certificate that silently says
 * less than its siblings, and the admin would never learn that SCIM sends a foreign address.
 */
export function certifiedIdentity(
  account: Pick<Account, 'id' | 'active' | 'deletedAt' | 'email' | 'userName' | 'displayName'>,
  deviceId: string,
  settings?: Record<string, unknown> | null,
): DeviceIdentity {
  if (!isActiveAccount(account)) refuse('account_inactive', 'the account is not active');
  const email = account.email ?? (account.userName.includes('@') ? account.userName : null);
  if (!email) refuse('account_has_no_email', 'the account has no email or UPN to certify');
  const verified = effectiveSettings(settings).certificates.verifiedEmailDomains;
  const domain = mailboxDomain(email);
  if (verified.length > 0 && (domain === undefined || !verified.includes(domain))) {
    refuse('email_domain_not_verified', "the account's email is not in a domain the org has verified", { domain: domain ?? null });
  }
  return { accountId: account.id, displayName: account.displayName || account.userName, email, deviceId };
}

/** The org's device-certificate lifetime. */
export function certificateLifetimeSeconds(settings: Record<string, unknown> | null | undefined): number {
  return effectiveSettings(settings).certificates.lifetimeDays * 86400;
}

/**
 * Renewal without a new IdP sign-in: refused once the device's last sign-in is older than
 * the org allows (90 days by default); the device then re-authenticates at the IdP with proof
 * of its key and keeps its identity (`POST /v1/devices/{id}/reauthenticate`).
 */
export function checkRecentSignIn(settings: Record<string, unknown> | null | undefined, authenticatedAt: Date, now = Date.now()): void {
  const reauthDays = effectiveSettings(settings).certificates.reauthenticateAfterDays;
  if (reauthDays !== null && now - authenticatedAt.getTime() > reauthDays * 86_400_000) {
    refuse('reauthentication_required', `org policy requires a fresh IdP sign-in every ${reauthDays} days: re-authenticate the device`);
  }
}
