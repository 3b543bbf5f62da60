import { createHmac, randomBytes } from 'node:crypto';
import { webhookHeaders, webhookSignature, webhookSigningKey } from './standard-webhooks.js';

describe('Standard Webhooks signature', () => {
  it('is v1,base64(HMAC-SHA256(key, id.timestamp.body)) with the secret bytes as key', () => {
    const raw = randomBytes(32);
    const key = webhookSigningKey(`mlsid_whsec_${raw.toString('base64url')}`);
    expect(key.equals(raw)).toBe(true);
    const body = '{"type":"removals.proposed"}';
    const expected = createHmac('sha256', raw).update(`msg_1.1700000000.${body}`).digest('base64');
    expect(webhookSignature(key, 'msg_1', 1700000000, body)).toBe(`v1,${expected}`);
    expect(webhookHeaders(key, 'msg_1', 1700000000, body)).toMatchObject({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000' });
  });

  it('changes with any of id, timestamp and body, and refuses foreign secrets', () => {
    const key = randomBytes(32);
    const base = webhookSignature(key, 'a', 1, 'b');
    expect(webhookSignature(key, 'a2', 1, 'b')).not.toBe(base);
    expect(webhookSignature(key, 'a', 2, 'b')).not.toBe(base);
    expect(webhookSignature(key, 'a', 1, 'b ')).not.toBe(base);
    expect(() => webhookSigningKey('whsec_abc')).toThrow();
  });

  it('lists one signature per key during a secret rotation, so a receiver with either secret verifies', () => {
    const [current, previous] = [randomBytes(32), randomBytes(32)];
    const header = webhookHeaders([current, previous], 'msg_2', 1700000000, 'x')['webhook-signature'];
    expect(header.split(' ')).toEqual([webhookSignature(current, 'msg_2', 1700000000, 'x'), webhookSignature(previous, 'msg_2', 1700000000, 'x')]);
    expect(webhookHeaders(current, 'msg_2', 1700000000, 'x')['webhook-signature']).not.toContain(' ');
  });
});
