import { refusalOf } from '../enrollment-refusal.testing.js';
import { certificateLifetimeSeconds, certifiedIdentity, checkRecentSignIn } from './certificate-policy.js';

const DAY = 86_400_000;
const account = {
  id: 'a1',
  active: true,
  deletedAt: null,
  email: 'alice@example.com',
  userName: 'alice',
  displayName: 'Alice',
};

describe('certificate policy', () => {
  describe('who a device certificate names', () => {
    it('is the account with its email and display name', () => {
      expect(certifiedIdentity(account, 'd1')).toEqual({ accountId: 'a1', displayName: 'Alice', email: 'alice@example.com', deviceId: 'd1' });
    });

    it('falls back to a UPN-like userName for the email and to the userName for the display name', () => {
      expect(certifiedIdentity({ ...account, email: null, userName: 'alice@corp.example', displayName: null }, 'd1')).toMatchObject({
        email: 'alice@corp.example',
        displayName: 'alice@corp.example',
      });
    });

    it('refuses an account with nothing to certify as rfc822Name', () => {
      expect(refusalOf(() => certifiedIdentity({ ...account, email: null }, 'd1'))).toBe('account_has_no_email');
    });

    it("refuses an email outside the org's verified domains, exactly and case-insensitively", () => {
      const settings = { certificates: { verifiedEmailDomains: ['example.com'] } };
      expect(certifiedIdentity({ ...account, email: 'Alice@EXAMPLE.com' }, 'd1', settings).email).toBe('Alice@EXAMPLE.com');
      for (const email of ['mallory@evil.test', 'alice@mail.example.com', 'alice@example.com.evil.test']) {
        expect(refusalOf(() => certifiedIdentity({ ...account, email }, 'd1', settings))).toBe('email_domain_not_verified');
      }
      // The UPN fallback is held to the same domains.
      expect(refusalOf(() => certifiedIdentity({ ...account, email: null, userName: 'alice@corp.example' }, 'd1', settings))).toBe(
        'email_domain_not_verified',
      );
      // No verified domains: certified as supplied.
      expect(certifiedIdentity({ ...account, email: 'x@evil.test' }, 'd1', {}).email).toBe('x@evil.test');
    });

    it('refuses a deactivated or deleted account', () => {
      expect(refusalOf(() => certifiedIdentity({ ...account, active: false }, 'd1'))).toBe('account_inactive');
      expect(refusalOf(() => certifiedIdentity({ ...account, deletedAt: new Date() }, 'd1'))).toBe('account_inactive');
    });
  });

  it('takes the certificate lifetime from the org settings (7 days by default)', () => {
    expect(certificateLifetimeSeconds({})).toBe(7 * 86400);
    expect(certificateLifetimeSeconds({ certificates: { lifetimeDays: 2 } })).toBe(2 * 86400);
  });

  describe('renewal without a new sign-in', () => {
    const now = Date.UTC(2026, 0, 31);

    it('is allowed for 90 days after the last sign-in by default', () => {
      expect(refusalOf(() => checkRecentSignIn({}, new Date(now - 89 * DAY), now))).toBeUndefined();
      expect(refusalOf(() => checkRecentSignIn({}, new Date(now - 91 * DAY), now))).toBe('reauthentication_required');
    });
    it('is always allowed when the org explicitly sets no limit', () => {
      const settings = { certificates: { reauthenticateAfterDays: null } };
      expect(refusalOf(() => checkRecentSignIn(settings, new Date(now - 400 * DAY), now))).toBeUndefined();
    });

    it('is refused once the last sign-in is older than the org allows', () => {
      const settings = { certificates: { reauthenticateAfterDays: 7 } };
      expect(refusalOf(() => checkRecentSignIn(settings, new Date(now - 6 * DAY), now))).toBeUndefined();
      expect(refusalOf(() => checkRecentSignIn(settings, new Date(now - 8 * DAY), now))).toBe('reauthentication_required');
    });
  });
});
