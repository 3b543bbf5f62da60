import type { IdpConnection } from '../../orgs/index.js';
import { mfaAuthorizationParameters } from './mfa-request.js';

const connection = (c: Partial<IdpConnection>) => ({ claimMapping: {}, requireMfa: true, ...c }) as IdpConnection;

describe('mfaAuthorizationParameters (what a connection requiring MFA asks of the IdP)', () => {
  it('asks Okta for two factors, a generic provider for its configured MFA classes, Entra for nothing', () => {
    expect(mfaAuthorizationParameters(connection({ kind: 'okta' }))).toEqual({ acr_values: 'urn:okta:loa:2fa:any' });
    expect(mfaAuthorizationParameters(connection({ kind: 'oidc', claimMapping: { mfaAcr: 'gold  silver' } }))).toEqual({ acr_values: 'gold silver' });
    expect(mfaAuthorizationParameters(connection({ kind: 'oidc' }))).toEqual({});
    expect(mfaAuthorizationParameters(connection({ kind: 'entra' }))).toEqual({});
  });

  it('asks nothing when the connection does not require MFA', () => {
    expect(mfaAuthorizationParameters(connection({ kind: 'okta', requireMfa: false }))).toEqual({});
  });
});
