import { randomBytes } from 'node:crypto';
import { aliceAndBob } from '../test-support/group-fixture.js';
import { MlsDecodeError } from './errors.js';
import { decodeMlsMessageBytes } from './mls-message.js';

describe('MLSMessage (RFC 9420 §6) decoding of untrusted bytes', () => {
  it('throws nothing but MlsDecodeError for garbage, truncations and bit flips', async () => {
    const g = await aliceAndBob('room-fuzz', []);
    const inputs: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0, 1), Uint8Array.of(0, 1, 0, 9)];
    for (let i = 0; i < 200; i++) inputs.push(randomBytes(1 + (i % 64)));
    for (let n = 0; n < g.groupInfo.length; n += 7) inputs.push(g.groupInfo.subarray(0, n));
    for (let i = 0; i < 200; i++) {
      const flipped = Uint8Array.from(g.groupInfo);
      flipped[i % flipped.length]! ^= 1 << (i % 8);
      inputs.push(flipped);
    }
    let decodeErrors = 0;
    for (const input of inputs) {
      try {
        decodeMlsMessageBytes(input);
      } catch (e) {
        expect(e).toBeInstanceOf(MlsDecodeError);
        decodeErrors++;
      }
    }
    // every truncation and all the short garbage must fail; flips may still decode
    expect(decodeErrors).toBeGreaterThan(200);
  });

  it('refuses trailing bytes after a well-formed message', async () => {
    const g = await aliceAndBob('room-trailing', []);
    expect(decodeMlsMessageBytes(g.groupInfo).wireformat).toBe('mls_group_info');
    expect(() => decodeMlsMessageBytes(Uint8Array.from([...g.groupInfo, 0]))).toThrow(MlsDecodeError);
  });
});
