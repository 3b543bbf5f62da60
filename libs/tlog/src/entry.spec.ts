import { KEY_EVENT_TYPES, REMOVAL_EVENT_TYPES, decodeKeyEvent, encodeKeyEvent, type KeyEvent, type KeyEventType } from './entry.js';
import { EntryMalformed } from './errors.js';
import { hex } from './naive-merkle.testing.js';

const revoked: KeyEvent = {
  type: 'certificate_revoked',
  org: 'acme',
  account: 'a1',
  device: 'd1',
  certificateSha256: new Uint8Array(32).fill(0xaa),
  reason: 'deprovisioned',
  timestamp: 1_700_000_000_000,
};

function expectMalformed(bytes: Uint8Array, label: string): void {
  let error: unknown;
  try {
    decodeKeyEvent(bytes);
  } catch (e) {
    error = e;
  }
  expect([label, error instanceof EntryMalformed]).toEqual([label, true]);
}

describe('key event entry encoding (version 1)', () => {
  it('encodes byte for byte as the README documents', () => {
    expect(hex(encodeKeyEvent(revoked))).toBe(
      [
        '01', // version
        '04', // certificate_revoked
        '0000018bcfe56800', // 1700000000000 ms
        '04' + Buffer.from('acme').toString('hex'),
        '02' + Buffer.from('a1').toString('hex'),
        '02' + Buffer.from('d1').toString('hex'),
        '20' + 'aa'.repeat(32),
        '00', // no MLS signature key hash
        '0d' + Buffer.from('deprovisioned').toString('hex'),
      ].join(''),
    );
  });

  it('round-trips every event type, with and without optional fields', () => {
    const types = (Object.keys(KEY_EVENT_TYPES) as KeyEventType[]).filter((t) => !REMOVAL_EVENT_TYPES.has(t) && t !== 'audit_anchor');
    expect(types).toHaveLength(11);
    for (const type of types) {
      const full: KeyEvent = {
        type,
        org: 'org-ü',
        account: 'acc',
        device: 'dev',
        certificateSha256: new Uint8Array(32).fill(1),
        mlsSignatureKeySha256: new Uint8Array(32).fill(2),
        reason: 'r',
        timestamp: Number.MAX_SAFE_INTEGER,
      };
      const minimal: KeyEvent = { type, org: 'o', timestamp: 0 };
      for (const event of [full, minimal]) {
        const bytes = encodeKeyEvent(event);
        expect(decodeKeyEvent(bytes)).toEqual(event);
        expect(hex(encodeKeyEvent(decodeKeyEvent(bytes)))).toBe(hex(bytes));
      }
    }
  });

  it('rejects every truncation, trailing bytes, unknown version and unknown type', () => {
    const bytes = encodeKeyEvent(revoked);
    for (let i = 0; i < bytes.length; i++) expectMalformed(bytes.slice(0, i), `truncated to ${i}`);
    expectMalformed(Uint8Array.of(...bytes, 0), 'trailing byte');
    expectMalformed(Uint8Array.of(2, ...bytes.slice(1)), 'version 2');
    expectMalformed(Uint8Array.of(0, ...bytes.slice(1)), 'version 0');
    expectMalformed(Uint8Array.of(1, 0, ...bytes.slice(2)), 'type 0');
    const unknown = Math.max(...Object.values(KEY_EVENT_TYPES)) + 1;
    expectMalformed(Uint8Array.of(1, unknown, ...bytes.slice(2)), `type ${unknown}`);
  });

  it('rejects non-canonical field contents', () => {
    const base = encodeKeyEvent({ type: 'device_enrolled', org: 'o', timestamp: 5 });
    // version, type, timestamp(8), org(1+1), account, device, cert, mls key, reason
    const head = base.slice(0, 10);
    const tail = (fields: number[][]) => Uint8Array.of(...head, ...fields.flat());
    expectMalformed(tail([[0], [0], [0], [0], [0], [0]]), 'empty org');
    expectMalformed(tail([[1, 0x6f], [0], [0], [31, ...new Uint8Array(31)], [0], [0]]), '31-byte certificate hash');
    expectMalformed(tail([[1, 0x6f], [0], [0], [0], [33, ...new Uint8Array(33)], [0]]), '33-byte key hash');
    expectMalformed(tail([[1, 0xff], [0], [0], [0], [0], [0]]), 'invalid UTF-8 org');
    expectMalformed(tail([[1, 0x6f], [2, 0xc3, 0x28], [0], [0], [0], [0]]), 'invalid UTF-8 account');
    const big = Uint8Array.of(1, 1, 0x00, 0x20, 0, 0, 0, 0, 0, 0, ...base.slice(10));
    expectMalformed(big, 'timestamp above 2^53');
  });

  it('refuses to encode events that could not round-trip', () => {
    const bad: unknown[] = [
      { ...revoked, type: 'device_lost' },
      { ...revoked, type: 'toString' },
      { ...revoked, org: '' },
      { ...revoked, account: '' },
      { ...revoked, org: 'x'.repeat(256) },
      { ...revoked, reason: 'é'.repeat(128) },
      { ...revoked, certificateSha256: new Uint8Array(20) },
      { ...revoked, timestamp: -1 },
      { ...revoked, timestamp: 1.5 },
      { ...revoked, device: 'a\ud800' },
    ];
    for (const event of bad) expect(() => encodeKeyEvent(event as KeyEvent)).toThrow(EntryMalformed);
  });
});

describe('removal event entries (version 2)', () => {
  const proposed: KeyEvent = {
    type: 'removal_proposed',
    org: 'acme',
    device: 'd1',
    reason: 'keyCompromise',
    timestamp: 1_700_000_000_500,
    removal: { groupIdSha256: new Uint8Array(32).fill(0xbb), epoch: 7, leafIndex: 3, plannedAt: 1_700_000_000_000 },
  };

  it('encodes byte for byte as the README documents', () => {
    expect(hex(encodeKeyEvent(proposed))).toBe(
      [
        '02', // version
        '09', // removal_proposed
        '0000018bcfe569f4', // 1700000000500 ms
        '04' + Buffer.from('acme').toString('hex'),
        '00', // no account
        '02' + Buffer.from('d1').toString('hex'),
        '00',
        '00',
        '0d' + Buffer.from('keyCompromise').toString('hex'),
        '20' + 'bb'.repeat(32), // SHA-256 of the group id
        '0000000000000007', // epoch
        '00000003', // leaf index
        '0000018bcfe56800', // planned at 1700000000000 ms
      ].join(''),
    );
  });

  it('round-trips both removal types at the limits of their fields', () => {
    for (const type of ['removal_proposed', 'removal_committed'] as const) {
      for (const removal of [
        { groupIdSha256: new Uint8Array(32).fill(1), epoch: 0, leafIndex: 0, plannedAt: 0 },
        { groupIdSha256: new Uint8Array(32).fill(2), epoch: Number.MAX_SAFE_INTEGER, leafIndex: 0xffffffff, plannedAt: Number.MAX_SAFE_INTEGER },
      ]) {
        const event: KeyEvent = { ...proposed, type, removal };
        const bytes = encodeKeyEvent(event);
        expect(decodeKeyEvent(bytes)).toEqual(event);
        expect(hex(encodeKeyEvent(decodeKeyEvent(bytes)))).toBe(hex(bytes));
      }
    }
  });

  it('rejects every truncation, trailing bytes, and a type written in the other version', () => {
    const bytes = encodeKeyEvent(proposed);
    for (let i = 0; i < bytes.length; i++) expectMalformed(bytes.slice(0, i), `truncated to ${i}`);
    expectMalformed(Uint8Array.of(...bytes, 0), 'trailing byte');
    expectMalformed(Uint8Array.of(1, ...bytes.slice(1)), 'removal type in version 1');
    expectMalformed(Uint8Array.of(2, 4, ...bytes.slice(2)), 'certificate_revoked in version 2');
    expectMalformed(Uint8Array.of(3, ...bytes.slice(1)), 'version 3');
    // the group hash is 32 bytes, epoch and planned_at at most 2^53 − 1
    const at = bytes.length - 53;
    expect(bytes[at]).toBe(32);
    expectMalformed(Uint8Array.of(...bytes.slice(0, at), 31, ...bytes.slice(at + 2)), '31-byte group hash');
    const epochAbove = Uint8Array.from(bytes);
    epochAbove[at + 33] = 0x00;
    epochAbove[at + 34] = 0x20;
    expectMalformed(epochAbove, 'epoch above 2^53');
    const plannedAbove = Uint8Array.from(bytes);
    plannedAbove[at + 45] = 0x00;
    plannedAbove[at + 46] = 0x20;
    expectMalformed(plannedAbove, 'planned_at above 2^53');
  });

  it('refuses removal events without their fields and other events with them', () => {
    const removal = proposed.removal!;
    const bad: unknown[] = [
      { ...proposed, removal: undefined },
      { ...proposed, removal: { ...removal, groupIdSha256: new Uint8Array(31) } },
      { ...proposed, removal: { ...removal, groupIdSha256: new Uint8Array(0) } },
      { ...proposed, removal: { ...removal, epoch: -1 } },
      { ...proposed, removal: { ...removal, epoch: 2 ** 53 } },
      { ...proposed, removal: { ...removal, leafIndex: 2 ** 32 } },
      { ...proposed, removal: { ...removal, leafIndex: 0.5 } },
      { ...proposed, removal: { ...removal, plannedAt: -5 } },
      { ...revoked, removal },
    ];
    for (const event of bad) expect(() => encodeKeyEvent(event as KeyEvent)).toThrow(EntryMalformed);
  });
});

describe('audit anchor entries (version 3)', () => {
  const anchor: KeyEvent = {
    type: 'audit_anchor',
    org: 'acme',
    timestamp: 1_700_000_000_000,
    auditAnchor: { sequence: 42, chainHeadSha256: new Uint8Array(32).fill(0xcc) },
  };

  it('encodes as version 3, type 12, the version 1 fields then sequence and head hash, and round-trips', () => {
    const bytes = encodeKeyEvent(anchor);
    expect(hex(bytes)).toBe(
      [
        '03',
        '0c',
        '0000018bcfe56800',
        '04' + Buffer.from('acme').toString('hex'),
        '00',
        '00',
        '00',
        '00',
        '00',
        '000000000000002a',
        '20' + 'cc'.repeat(32),
      ].join(''),
    );
    expect(decodeKeyEvent(bytes)).toEqual(anchor);
  });

  it('rejects truncations, trailing bytes, sequence 0, a short hash and the type in another version', () => {
    const bytes = encodeKeyEvent(anchor);
    for (let i = 0; i < bytes.length; i++) expectMalformed(bytes.slice(0, i), `truncated to ${i}`);
    expectMalformed(Uint8Array.of(...bytes, 0), 'trailing byte');
    expectMalformed(Uint8Array.of(1, ...bytes.slice(1)), 'anchor in version 1');
    const v1 = encodeKeyEvent({ type: 'device_enrolled', org: 'acme', timestamp: 1 });
    expectMalformed(Uint8Array.of(3, ...v1.slice(1), ...bytes.slice(-41)), 'device_enrolled in version 3');
    const zero = Uint8Array.from(bytes);
    zero.fill(0, bytes.length - 41, bytes.length - 33);
    expectMalformed(zero, 'sequence 0');
    expectMalformed(Uint8Array.of(...bytes.slice(0, -33), 31, ...new Uint8Array(31)), '31-byte head hash');
    expect(() => encodeKeyEvent({ ...anchor, auditAnchor: undefined })).toThrow(EntryMalformed);
    expect(() => encodeKeyEvent({ ...revoked, auditAnchor: anchor.auditAnchor })).toThrow(EntryMalformed);
  });
});
