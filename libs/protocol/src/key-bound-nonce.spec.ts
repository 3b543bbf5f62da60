import { createHash } from 'node:crypto';
import { keyBoundNonce, reauthenticationNonce } from './key-bound-nonce.js';

describe('key-bound nonce', () => {
  it('is base64url(SHA-256(SPKI DER))', () => {
    expect(keyBoundNonce(new TextEncoder().encode('abc'))).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(keyBoundNonce(new Uint8Array())).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });

  it('binds re-authentication to the key and the signed request, apart from the enrollment nonce', () => {
    const spki = new TextEncoder().encode('abc');
    const expected = createHash('sha256').update('mls-identity reauthenticate\0abcjti-0123456789abcdef').digest('base64url');
    expect(reauthenticationNonce(spki, 'jti-0123456789abcdef')).toBe(expected);
    expect(reauthenticationNonce(spki, 'jti-0123456789abcdee')).not.toBe(expected);
    expect(reauthenticationNonce(new TextEncoder().encode('abd'), 'jti-0123456789abcdef')).not.toBe(expected);
    expect(reauthenticationNonce(spki, '')).not.toBe(keyBoundNonce(spki));
  });
});
