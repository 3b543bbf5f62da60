import { randomBytes } from 'node:crypto';
import { decodeBase64, decodeHex, encodeBase64, encodeBase64Url, encodeHex } from './base64.js';
import { ResponseMalformed } from './errors.js';

describe('base64 and hex without Buffer', () => {
  it('agrees with Node for every length up to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const b64 = Buffer.from(bytes).toString('base64');
      expect(encodeBase64(bytes)).toBe(b64);
      expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      expect(Buffer.from(decodeBase64(b64))).toEqual(Buffer.from(bytes));
      expect(encodeHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
      expect(Buffer.from(decodeHex(encodeHex(bytes)))).toEqual(Buffer.from(bytes));
    }
  });

  it('tolerates PEM line breaks and refuses junk with a typed error', () => {
    expect(Buffer.from(decodeBase64('AQID\nBAU=')).toString('hex')).toBe('0102030405');
    for (const junk of ['AQI', 'A===', 'AQ*D', 'AQID=']) expect(() => decodeBase64(junk)).toThrow(ResponseMalformed);
    expect(() => decodeHex('abc')).toThrow(ResponseMalformed);
  });
});
