import type { KeyEvent } from '#tlog';
import { accountEventsSince } from './account-watch.js';

const h = (b: number) => new Uint8Array(32).fill(b);
const e = (index: number, type: KeyEvent['type'], extra: Partial<KeyEvent> = {}) => ({
  index,
  event: { type, org: 'o', account: 'a', timestamp: index * 1000, ...extra } as KeyEvent,
});

describe('accountEventsSince: account events from the log history', () => {
  const history = [
    e(1, 'device_enrolled', { device: 'd1', mlsSignatureKeySha256: h(1) }),
    e(2, 'certificate_issued', { device: 'd1', mlsSignatureKeySha256: h(1), certificateSha256: h(0xa1) }),
    e(4, 'certificate_renewed', { device: 'd1', mlsSignatureKeySha256: h(1), certificateSha256: h(0xa2) }),
    e(7, 'device_enrolled', { device: 'd2', mlsSignatureKeySha256: h(2) }),
    e(9, 'certificate_renewed', { device: 'd1', mlsSignatureKeySha256: h(3), certificateSha256: h(0xa3) }),
    e(12, 'certificate_revoked', { device: 'd2', certificateSha256: h(0xb1), reason: 'keyCompromise' }),
  ];

  it('first look: every device added, the key change, the revocation; same-key renewals are quiet', () => {
    const { events, seen } = accountEventsSince(history, { lastIndex: -1, devices: {} });
    expect(events.map((x) => x.type)).toEqual(['device-added', 'device-added', 'key-changed', 'device-revoked']);
    expect(events[2]).toMatchObject({ deviceId: 'd1', previousKeySha256: '01'.repeat(32), keySha256: '03'.repeat(32), index: 9 });
    expect(events[3]).toMatchObject({ deviceId: 'd2', reason: 'keyCompromise', certificateSha256: 'b1'.repeat(32) });
    expect(seen.lastIndex).toBe(12);
    expect(seen.devices).toEqual({ d1: { keySha256: '03'.repeat(32), revoked: false }, d2: { keySha256: '02'.repeat(32), revoked: true } });
  });

  it('a later look reports only entries after the last one seen', () => {
    const { events } = accountEventsSince(history, { lastIndex: 7, devices: {} });
    expect(events.map((x) => [x.type, x.index])).toEqual([
      ['key-changed', 9],
      ['device-revoked', 12],
    ]);
    expect(accountEventsSince(history, { lastIndex: 12, devices: {} }).events).toEqual([]);
  });

  it('reports deprovisioning and reactivation of the account', () => {
    const more = [...history, e(13, 'account_deprovisioned', { reason: 'scim' }), e(14, 'account_reactivated')];
    expect(accountEventsSince(more, { lastIndex: 12, devices: {} }).events.map((x) => x.type)).toEqual([
      'account-deprovisioned',
      'account-reactivated',
    ]);
  });

  it('a retired superseded certificate is not a lost device; an expired device is', () => {
    const log = [
      e(1, 'device_enrolled', { device: 'd1', mlsSignatureKeySha256: h(1) }),
      e(2, 'certificate_issued', { device: 'd1', mlsSignatureKeySha256: h(1), certificateSha256: h(0xa1) }),
      e(3, 'certificate_renewed', { device: 'd1', mlsSignatureKeySha256: h(1), certificateSha256: h(0xa2) }),
      e(4, 'certificate_revoked', { device: 'd1', certificateSha256: h(0xa1), reason: 'superseded' }),
    ];
    const retired = accountEventsSince(log, { lastIndex: -1, devices: {} });
    expect(retired.events.map((x) => x.type)).toEqual(['device-added']);
    expect(retired.seen.devices.d1!.revoked).toBe(false);
    const expired = accountEventsSince([...log, e(5, 'device_expired', { device: 'd1', mlsSignatureKeySha256: h(1), reason: 'expired' })], {
      lastIndex: -1,
      devices: {},
    });
    expect(expired.events.at(-1)).toMatchObject({ type: 'device-revoked', deviceId: 'd1', reason: 'expired', index: 5 });
    expect(expired.seen.devices.d1!.revoked).toBe(true);
    // the current certificate revoked: the device is gone
    const revoked = accountEventsSince([...log, e(6, 'certificate_revoked', { device: 'd1', certificateSha256: h(0xa2), reason: 'keyCompromise' })], {
      lastIndex: -1,
      devices: {},
    });
    expect(revoked.events.at(-1)).toMatchObject({ type: 'device-revoked', deviceId: 'd1', reason: 'keyCompromise' });
  });
});
