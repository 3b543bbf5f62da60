import { decodeKeyEvent, encodeKeyEvent } from '#tlog';
import { KtEventInvalid, keyEventFromKtEvent } from './kt-event-entry.js';

const org = '9b2f6a7e-3c1d-4e8f-9a0b-1c2d3e4f5a6b';
const base = {
  type: 'certificate_revoked',
  orgId: org,
  accountId: 'a1',
  deviceId: 'd1',
  certificateSha256: 'aa'.repeat(32),
  signatureKeySha256: 'bb'.repeat(32),
  reason: 'keyCompromise',
  timestamp: '2023-11-14T22:13:20.000Z',
};

describe('keyEventFromKtEvent', () => {
  it('maps every field of an outbox event onto the log entry', () => {
    const event = keyEventFromKtEvent(base, org);
    expect(decodeKeyEvent(encodeKeyEvent(event))).toEqual({
      type: 'certificate_revoked',
      org,
      account: 'a1',
      device: 'd1',
      certificateSha256: new Uint8Array(32).fill(0xaa),
      mlsSignatureKeySha256: new Uint8Array(32).fill(0xbb),
      reason: 'keyCompromise',
      timestamp: 1700000000000,
    });
  });

  it('leaves absent optional fields absent', () => {
    const event = keyEventFromKtEvent({ type: 'ca_rotated', orgId: org, certificateSha256: 'cc'.repeat(32), timestamp: base.timestamp }, org);
    expect(Object.keys(event).sort()).toEqual(['certificateSha256', 'org', 'timestamp', 'type']);
  });

  it.each([
    ['an unknown type', { ...base, type: 'key_stolen' }],
    ['a prototype key as type', { ...base, type: 'toString' }],
    ['another org', { ...base, orgId: 'other' }],
    ['a bad timestamp', { ...base, timestamp: 'yesterday' }],
    ['a time before 1970', { ...base, timestamp: '1969-12-31T23:59:59Z' }],
    ['an upper-case digest', { ...base, certificateSha256: 'AA'.repeat(32) }],
    ['a short digest', { ...base, signatureKeySha256: 'bb' }],
    ['a non-string account', { ...base, accountId: 7 }],
  ])('rejects %s with KtEventInvalid', (_, payload) => {
    expect(() => keyEventFromKtEvent(payload, org)).toThrow(KtEventInvalid);
  });

  const removal = {
    type: 'removal_committed',
    orgId: org,
    deviceId: 'd1',
    reason: 'cessationOfOperation',
    timestamp: '2023-11-14T22:13:21.500Z',
    removal: { groupIdSha256: 'cc'.repeat(32), epoch: '12', leafIndex: 4, plannedAt: base.timestamp },
  };

  it('maps a removal event onto a version-2 entry', () => {
    const event = keyEventFromKtEvent(removal, org);
    const bytes = encodeKeyEvent(event);
    expect(bytes[0]).toBe(2);
    expect(decodeKeyEvent(bytes)).toEqual({
      type: 'removal_committed',
      org,
      device: 'd1',
      reason: 'cessationOfOperation',
      timestamp: 1700000001500,
      removal: { groupIdSha256: new Uint8Array(32).fill(0xcc), epoch: 12, leafIndex: 4, plannedAt: 1700000000000 },
    });
  });

  it.each([
    ['no removal fields', { ...removal, removal: undefined }],
    ['a short group hash', { ...removal, removal: { ...removal.removal, groupIdSha256: 'cc' } }],
    ['a numeric epoch', { ...removal, removal: { ...removal.removal, epoch: 12 } }],
    ['an epoch with a leading zero', { ...removal, removal: { ...removal.removal, epoch: '012' } }],
    ['an epoch above 2^53', { ...removal, removal: { ...removal.removal, epoch: '9007199254740993' } }],
    ['a fractional leaf', { ...removal, removal: { ...removal.removal, leafIndex: 1.5 } }],
    ['a bad planning time', { ...removal, removal: { ...removal.removal, plannedAt: 'soon' } }],
    ['removal fields on another event type', { ...base, removal: removal.removal }],
  ])('rejects a removal event with %s', (_, payload) => {
    expect(() => keyEventFromKtEvent(payload, org)).toThrow(KtEventInvalid);
  });

  it('rejects payloads that are not objects', () => {
    expect(() => keyEventFromKtEvent(null, org)).toThrow(KtEventInvalid);
    expect(() => keyEventFromKtEvent('x', org)).toThrow(KtEventInvalid);
  });
});

describe('keyEventFromKtEvent: audit anchors', () => {
  const anchor = { type: 'audit_anchor', orgId: org, timestamp: '2023-11-14T22:13:20.000Z', auditAnchor: { seq: '42', headSha256: 'cc'.repeat(32) } };

  it('maps the chain sequence and head hash onto a version 3 entry', () => {
    expect(decodeKeyEvent(encodeKeyEvent(keyEventFromKtEvent(anchor, org)))).toEqual({
      type: 'audit_anchor',
      org,
      timestamp: 1700000000000,
      auditAnchor: { sequence: 42, chainHeadSha256: new Uint8Array(32).fill(0xcc) },
    });
  });

  it('refuses an anchor without its fields, with a bad sequence or hash, and anchor fields on another event', () => {
    for (const bad of [
      { ...anchor, auditAnchor: undefined },
      { ...anchor, auditAnchor: { seq: '0', headSha256: 'cc'.repeat(32) } },
      { ...anchor, auditAnchor: { seq: '9007199254740993', headSha256: 'cc'.repeat(32) } },
      { ...anchor, auditAnchor: { seq: '1', headSha256: 'CC'.repeat(32) } },
      { ...base, auditAnchor: anchor.auditAnchor },
    ])
      expect(() => keyEventFromKtEvent(bad, org)).toThrow(KtEventInvalid);
  });
});
