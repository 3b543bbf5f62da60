import { MlsDecodeError, MlsInvalidArgumentError } from './errors.js';
import { encodeVarintLength, PresentationReader } from './presentation-language.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('RFC 9420 §2.1.2 vector lengths', () => {
  it.each([
    [0, '00'],
    [37, '25'],
    [63, '3f'],
    [64, '4040'],
    [15293, '7bbd'],
    [16383, '7fff'],
    [16384, '80004000'],
    [494878333, '9d7f3e7d'],
    [0x3fffffff, 'bfffffff'],
  ])('%i ⇄ %s', (value, encoded) => {
    expect(hex(encodeVarintLength(value))).toBe(encoded);
    const reader = new PresentationReader(bytes(encoded), 'test');
    expect(reader.varintLength()).toBe(value);
    expect(reader.remaining).toBe(0);
  });

  it('refuses the 0b11 prefix, non-minimal forms, truncation and out-of-range values', () => {
    for (const encoded of ['c0', 'ff', '4025', '80000025', '80003fff', '40', '8000', '']) {
      expect(() => new PresentationReader(bytes(encoded), 'test').varintLength()).toThrow(MlsDecodeError);
    }
    expect(() => encodeVarintLength(0x40000000)).toThrow(MlsInvalidArgumentError);
    expect(() => encodeVarintLength(-1)).toThrow(MlsInvalidArgumentError);
  });
});
