import { refusalOf } from '../enrollment-refusal.testing.js';
import type { IdpConnection } from '../../orgs/index.js';
import { claimStrategyFor } from './claim-strategies.js';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OID = '00000000-0000-4000-8000-0000000000aa';

function connection(partial: Partial<IdpConnection> = {}): IdpConnection {
  return { claimMapping: {}, allowedTenants: [], requireMfa: false, ...partial } as IdpConnection;
}

describe('IdP claim strategies', () => {
  it('okta and generic OIDC count the email as verified only with email_verified: true', () => {
    for (const kind of ['okta', 'oidc'] as const) {
      const s = claimStrategyFor(kind);
      expect(s.identify({ sub: 'u1', email: 'a@x.example', email_verified: true }, connection()).emailVerified).toBe(true);
      expect(s.identify({ sub: 'u1', email: 'a@x.example', email_verified: 'true' }, connection()).emailVerified).toBe(false);
      expect(s.identify({ sub: 'u1', email: 'a@x.example' }, connection()).emailVerified).toBe(false);
    }
  });

  describe('entra', () => {
    const entra = claimStrategyFor('entra');
    const claims = { sub: 'pairwise-per-app', tid: TID, oid: OID, preferred_username: 'Alice@contoso.com', amr: ['pwd', 'mfa'], groups: ['g1'] };

    it('identifies the person by tid:oid, never by the pairwise sub', () => {
      const id = entra.identify(claims, connection());
      expect(id).toMatchObject({
        subject: `${TID}:${OID}`,
        externalIds: [OID],
        userName: 'Alice@contoso.com',
        tenant: TID,
        multiFactor: true,
        groups: ['g1'],
      });
    });

    it('falls back to upn for user name and email', () => {
      const id = entra.identify({ tid: TID, oid: OID, upn: 'bob@contoso.com' }, connection());
      expect([id.userName, id.email, id.multiFactor]).toEqual(['bob@contoso.com', 'bob@contoso.com', false]);
    });

    it('counts the email as verified only with xms_edov (Entra email claims are mutable and unverified)', () => {
      expect(entra.identify({ ...claims, email: 'alice@contoso.com' }, connection()).emailVerified).toBe(false);
      expect(entra.identify({ ...claims, email: 'alice@contoso.com', email_verified: true }, connection()).emailVerified).toBe(false);
      expect(entra.identify({ ...claims, email: 'alice@contoso.com', xms_edov: true }, connection()).emailVerified).toBe(true);
    });

    it('reports the groups overage indicator', () => {
      const id = entra.identify({ tid: TID, oid: OID, _claim_names: { groups: 'src1' } }, connection());
      expect([id.groups, id.groupsOverage]).toEqual([null, true]);
    });

    it('enforces the tenant allow-list (case-insensitively) and requires GUID tid/oid', () => {
      expect(refusalOf(() => entra.identify(claims, connection({ allowedTenants: ['11111111-1111-4111-8111-111111111111'] })))).toBe(
        'tenant_not_allowed',
      );
      expect(refusalOf(() => entra.identify(claims, connection({ allowedTenants: [TID.toUpperCase()] })))).toBeUndefined();
      expect(refusalOf(() => entra.identify({ ...claims, oid: undefined }, connection()))).toBe('id_token_claim_missing');
      expect(refusalOf(() => entra.identify({ ...claims, tid: 'common' }, connection()))).toBe('id_token_claim_missing');
    });
  });

  describe('okta', () => {
    const okta = claimStrategyFor('okta');
    it('uses sub, and accepts amr or an MFA acr', () => {
      const id = okta.identify({ sub: '00u1', email: 'a@x.example', acr: 'urn:okta:loa:2fa:any' }, connection());
      expect(id).toMatchObject({ subject: '00u1', externalIds: ['00u1'], userName: 'a@x.example', multiFactor: true });
      expect(okta.identify({ sub: '00u1', amr: ['pwd'] }, connection()).multiFactor).toBe(false);
      expect(okta.identify({ sub: '00u1', amr: ['pwd', 'otp'] }, connection()).multiFactor).toBe(true);
      expect(refusalOf(() => okta.identify({ email: 'a@x.example' }, connection()))).toBe('id_token_claim_missing');
    });
  });

  describe('generic OIDC', () => {
    const generic = claimStrategyFor('oidc');
    it('reads the claim names of the connection claimMapping', () => {
      const c = connection({ claimMapping: { subject: 'uid', email: 'mail', userName: 'login', groups: 'roles', mfaAcr: 'gold silver' } });
      const id = generic.identify({ sub: 'ignored', uid: 'u-7', mail: 'm@x.example', login: 'mlogin', roles: 'a b', acr: 'gold' }, c);
      expect(id).toMatchObject({ subject: 'u-7', email: 'm@x.example', userName: 'mlogin', groups: ['a', 'b'], multiFactor: true });
    });

    it('applies a tenant allow-list on the mapped tenant claim', () => {
      const c = connection({ claimMapping: { tenant: 'org_id' }, allowedTenants: ['t1'] });
      expect(refusalOf(() => generic.identify({ sub: 's', org_id: 't2' }, c))).toBe('tenant_not_allowed');
      expect(refusalOf(() => generic.identify({ sub: 's' }, c))).toBe('tenant_not_allowed');
      expect(generic.identify({ sub: 's', org_id: 't1' }, c).tenant).toBe('t1');
    });
  });
});
