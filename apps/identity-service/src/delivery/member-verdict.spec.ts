import type { JudgedCredential } from '../removals/index.js';
import { MEMBER_REASONS } from './delivery.reasons.js';
import { memberVerdict, withKeyPackageSuite, type DeviceStanding } from './member-verdict.js';

const identity = { kind: 'device' as const, org: 'acme', accountId: 'acc-1', deviceId: 'dev-1', email: 'a@acme.example' };
const judged = (over: Partial<JudgedCredential> = {}): JudgedCredential => ({
  fingerprint: 'ff',
  status: 'valid',
  identity,
  keyBound: true,
  ...over,
});
const device = (over: Partial<DeviceStanding> = {}): DeviceStanding => ({
  id: 'dev-1',
  accountId: 'acc-1',
  status: 'active',
  ciphersuite: 1,
  accountActive: true,
  ...over,
});

describe('member verdict', () => {
  it('admits a valid, key-bound credential of an active device of an active account', () => {
    expect(memberVerdict(judged(), device())).toEqual({
      valid: true,
      status: 'valid',
      fingerprint: 'ff',
      identity,
      accountId: 'acc-1',
      deviceId: 'dev-1',
      deviceCiphersuite: 1,
      reasons: [],
    });
  });

  it.each(['revoked', 'expired', 'unknown', 'untrusted'] as const)('reports a %s certificate', (status) => {
    expect(memberVerdict(judged({ status }), device()).reasons).toEqual([`credential_${status}`]);
  });

  it('reports a non-x509 credential, without a key binding to check', () => {
    expect(memberVerdict({ status: 'not_x509', keyBound: false }, undefined)).toMatchObject({ valid: false, reasons: ['credential_not_x509'] });
  });

  it('reports a signature key the certificate does not certify', () => {
    expect(memberVerdict(judged({ keyBound: false }), device()).reasons).toEqual(['key_mismatch']);
  });

  it('reports devices not on record, or on record under another account', () => {
    expect(memberVerdict(judged(), undefined).reasons).toEqual(['device_unknown']);
    expect(memberVerdict(judged(), device({ accountId: 'acc-2' }))).not.toHaveProperty('accountId');
  });

  it('reports a revoked device and an inactive account together', () => {
    expect(memberVerdict(judged({ status: 'revoked' }), device({ status: 'revoked', accountActive: false })).reasons).toEqual([
      'credential_revoked',
      'device_revoked',
      'account_inactive',
    ]);
  });

  it('refuses service credentials as members unless told otherwise', () => {
    const service = judged({ identity: { kind: 'service', org: 'acme', service: 'removal' } });
    expect(memberVerdict(service, undefined).reasons).toEqual(['not_a_device']);
    expect(memberVerdict(service, undefined, false)).toMatchObject({ valid: true, reasons: [] });
  });

  it("refuses a KeyPackage of another suite than its device's", () => {
    const v = memberVerdict(judged(), device({ ciphersuite: 2 }));
    expect(withKeyPackageSuite(v, 1)).toMatchObject({ valid: false, reasons: ['ciphersuite_mismatch'] });
    expect(withKeyPackageSuite(v, 2)).toBe(v);
  });

  it('declares every reason it gives', () => {
    expect(Object.keys(MEMBER_REASONS).sort()).toEqual(
      [
        'credential_revoked',
        'credential_expired',
        'credential_unknown',
        'credential_untrusted',
        'credential_not_x509',
        'key_mismatch',
        'device_unknown',
        'device_revoked',
        'account_inactive',
        'not_a_device',
        'ciphersuite_mismatch',
      ].sort(),
    );
  });
});
