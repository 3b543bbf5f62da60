import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { keyBoundNonce } from '#protocol';
import { EnrollmentErrors } from '../enrollment.errors.js';
import { validateIdToken, type IdTokenExpectations } from './id-token-validation.js';

const ISS = 'https://idp.example';

describe('ID token validation (OIDC Core §3.1.3.7, key-bound nonce)', () => {
  let sign: (claims: JWTPayload, header?: Record<string, unknown>) => Promise<string>;
  let expect_: IdTokenExpectations;
  const nonce = keyBoundNonce(new Uint8Array([1, 2, 3]));

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
    sign = (claims, header = {}) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k', ...header }).sign(privateKey);
    expect_ = { issuer: ISS, audiences: ['svc', 'app'], nonce, metadata: { issuer: ISS, jwks_uri: `${ISS}/jwks` }, keys: jwks };
  });

  const now = () => Math.floor(Date.now() / 1000);
  const good = (): JWTPayload => ({ iss: ISS, aud: 'app', sub: 's', iat: now(), exp: now() + 300, nonce });
  async function reason(token: string, e: Partial<IdTokenExpectations> = {}): Promise<string | undefined> {
    try {
      await validateIdToken(token, { ...expect_, ...e });
      return undefined;
    } catch (err) {
      if (EnrollmentErrors.is(err)) return err.code;
      throw err;
    }
  }

  it('derives the nonce as base64url(SHA-256(SPKI))', () => {
    expect(keyBoundNonce(new TextEncoder().encode('abc'))).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('accepts a good token and tolerates bounded skew', async () => {
    expect(await reason(await sign(good()))).toBeUndefined();
    expect(await reason(await sign({ ...good(), exp: now() - 60 }))).toBeUndefined();
    expect(await reason(await sign({ ...good(), exp: now() - 600 }))).toBe('id_token_expired');
  });

  it('refuses what the IdP does not advertise, and every non-asymmetric alg', async () => {
    expect(await reason(await sign(good()), { metadata: { issuer: ISS, jwks_uri: 'x', id_token_signing_alg_values_supported: ['RS256'] } })).toBe(
      'id_token_algorithm_not_allowed',
    );
    expect(await reason(new UnsecuredJWT(good()).encode())).toBe('id_token_algorithm_not_allowed');
    const hs = await new SignJWT(good()).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    expect(await reason(hs)).toBe('id_token_algorithm_not_allowed');
  });

  it('requires the nonce unless the token came from our own device-flow token request', async () => {
    const { nonce: _n, ...noNonce } = good();
    expect(await reason(await sign(noNonce))).toBe('id_token_claim_missing');
    expect(await reason(await sign(noNonce), { nonce: null, sentNonce: nonce })).toBeUndefined();
    expect(await reason(await sign({ ...good(), nonce: 'other' }), { nonce: null, sentNonce: nonce })).toBe('id_token_nonce_mismatch');
  });

  it('refuses garbage without throwing anything else', async () => {
    for (const t of ['', 'a.b.c', 'x'.repeat(20000), '.....', 'eyJhbGciOiJFUzI1NiJ9.e30.']) {
      expect(await reason(t)).toMatch(/^id_token_/);
    }
  });
});
