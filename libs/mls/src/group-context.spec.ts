import { aliceAndBob, makeServiceSender } from '../test-support/group-fixture.js';
import { MlsDecodeError } from './errors.js';
import { decodeGroupContextBytes, encodeGroupContextBytes } from './group-context.js';

describe('GroupContext bytes (RFC 9420 §8.1)', () => {
  it('round-trips and refuses trailing bytes', async () => {
    const service = await makeServiceSender('acme');
    const group = await aliceAndBob('room-ctx', [{ signaturePublicKey: service.signaturePublicKey, credential: service.credential }]);
    const bytes = encodeGroupContextBytes(group.alice.groupContext);
    expect(decodeGroupContextBytes(bytes)).toEqual(group.alice.groupContext);
    expect(() => decodeGroupContextBytes(Uint8Array.of(...bytes, 0))).toThrow(MlsDecodeError);
    expect(() => decodeGroupContextBytes(bytes.subarray(0, 10))).toThrow(MlsDecodeError);
  });
});
