import { csrInput } from './csr-input.js';

describe('csrInput: the one rule for a CSR in a request', () => {
  const der = Uint8Array.from([0x30, 0x82, 0x01, 0xfb, 0xff, 0xfe, 0x3e, 0x3f]);
  const standard = Buffer.from(der).toString('base64');
  const urlSafe = Buffer.from(der).toString('base64url');

  it('accepts both base64 alphabets, padded or not, and line-wrapped', () => {
    expect(standard).toMatch(/[+/]/);
    expect(urlSafe).toMatch(/[-_]/);
    for (const text of [
      standard,
      standard.replace(/=+$/, ''),
      urlSafe,
      `${urlSafe}=`.slice(0, standard.length),
      ` ${standard.slice(0, 4)}\n${standard.slice(4)} `,
    ]) {
      expect(csrInput(text)).toEqual(der);
    }
  });

  it('passes PEM through for the profile to parse', () => {
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${standard}\n-----END CERTIFICATE REQUEST-----`;
    expect(csrInput(`\n${pem}\n`)).toBe(pem);
  });

  it('refuses junk, mixed alphabets and impossible lengths', () => {
    for (const text of [
      '',
      '   ',
      'not a csr!',
      '@@@@',
      'Zm9v.YmFy',
      `${standard.slice(0, 2)}-${standard.slice(3)}+`,
      'AAAAA',
      'AAA==',
      'AA=A',
      undefined as never,
    ]) {
      expect(csrInput(text)).toBeUndefined();
    }
  });
});
