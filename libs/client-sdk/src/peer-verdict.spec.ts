import type { KeyEvent } from '#tlog';
import { combineFindings, logFinding, statusFinding } from './peer-verdict.js';

const sha = (b: number) => new Uint8Array(32).fill(b);
const hex = (b: number) => b.toString(16).padStart(2, '0').repeat(32);
const ev = (type: KeyEvent['type'], extra: Partial<KeyEvent> = {}): KeyEvent => ({ type, org: 'o', account: 'a', timestamp: 1, ...extra });

describe('logFinding: what the proven account history says about a certificate', () => {
  const issued = { index: 3, event: ev('certificate_issued', { device: 'd1', certificateSha256: sha(0xaa) }) };

  it('verified when the issuance entry is there and nothing revoked it later', () => {
    expect(logFinding([issued], { sha256: hex(0xaa), deviceId: 'd1' })).toEqual({ state: 'verified', reason: 'in_log', issuedAt: 3 });
  });

  it('a renewal entry counts as issuance', () => {
    const renewed = { index: 9, event: ev('certificate_renewed', { device: 'd1', certificateSha256: sha(0xbb) }) };
    expect(logFinding([issued, renewed], { sha256: hex(0xbb), deviceId: 'd1' })).toMatchObject({ state: 'verified', issuedAt: 9 });
  });

  it('unknown when the log has no issuance entry (hidden or not yet sequenced)', () => {
    expect(logFinding([issued], { sha256: hex(0xcc), deviceId: 'd1' })).toEqual({ state: 'unknown', reason: 'not_in_log' });
  });

  it('revoked by a later revocation entry of the certificate, with its reason', () => {
    const revoked = { index: 5, event: ev('certificate_revoked', { device: 'd1', certificateSha256: sha(0xaa), reason: 'keyCompromise' }) };
    expect(logFinding([issued, revoked], { sha256: hex(0xaa), deviceId: 'd1' })).toMatchObject({ state: 'revoked', reason: 'keyCompromise' });
  });

  it('revoked when the account was deprovisioned after issuance, unless reactivated since', () => {
    const gone = { index: 6, event: ev('account_deprovisioned', { reason: 'scim' }) };
    expect(logFinding([issued, gone], { sha256: hex(0xaa), deviceId: 'd1' })).toMatchObject({ state: 'revoked', reason: 'account_deprovisioned' });
    const back = { index: 7, event: ev('account_reactivated') };
    expect(logFinding([issued, gone, back], { sha256: hex(0xaa), deviceId: 'd1' })).toMatchObject({ state: 'verified' });
  });

  it('expired once the log says the device expired (its removal is due), for that device only', () => {
    const expired = { index: 8, event: ev('device_expired', { device: 'd1', reason: 'expired' }) };
    expect(logFinding([issued, expired], { sha256: hex(0xaa), deviceId: 'd1' })).toMatchObject({ state: 'expired', reason: 'device_expired' });
    const other = { index: 8, event: ev('device_expired', { device: 'd9', reason: 'expired' }) };
    expect(logFinding([issued, other], { sha256: hex(0xaa), deviceId: 'd1' })).toMatchObject({ state: 'verified' });
  });

  it('log-inconsistent when the entry certifies the key for another device than the certificate names', () => {
    expect(logFinding([issued], { sha256: hex(0xaa), deviceId: 'd2' })).toMatchObject({ state: 'log-inconsistent' });
  });
});

describe('statusFinding and combineFindings', () => {
  it('maps the status API', () => {
    expect(statusFinding({ status: 'valid' }).state).toBe('verified');
    expect(statusFinding({ status: 'revoked', reason: 'cessationOfOperation' })).toEqual({ state: 'revoked', reason: 'cessationOfOperation' });
    expect(statusFinding({ status: 'expired' }).state).toBe('expired');
    expect(statusFinding({ status: 'untrusted', reason: 'untrusted_issuer' })).toEqual({ state: 'unknown', reason: 'untrusted_issuer' });
  });

  it('the worst finding wins: log-inconsistent > revoked > expired > unknown > verified', () => {
    const v = { state: 'verified', reason: 'ok' } as const;
    const u = { state: 'unknown', reason: 'u' } as const;
    const e = { state: 'expired', reason: 'e' } as const;
    const r = { state: 'revoked', reason: 'r' } as const;
    const l = { state: 'log-inconsistent', reason: 'l' } as const;
    expect(combineFindings([v, v])).toMatchObject({ state: 'verified' });
    expect(combineFindings([v, u, v])).toBe(u);
    expect(combineFindings([u, e])).toBe(e);
    expect(combineFindings([r, e, u])).toBe(r);
    expect(combineFindings([v, r, l])).toBe(l);
  });
});
