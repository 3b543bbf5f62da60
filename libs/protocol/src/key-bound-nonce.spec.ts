import { keyBoundNonce } from './key-bound-nonce.js';

describe('key-bound nonce', () => {
  it('is base64url(SHA-256(SPKI DER))', () => {
    expect(keyBoundNonce(new TextEncoder().encode('abc'))).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(keyBoundNonce(new Uint8Array())).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });
});
