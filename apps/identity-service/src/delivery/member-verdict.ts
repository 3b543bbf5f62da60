import type { ClientIdentity } from '#x509-profile';
import type { CertificateStatus } from '../certificates/index.js';
import type { JudgedCredential } from '../removals/index.js';
import type { MemberReason } from './delivery.reasons.js';

/** The service's answer about one MLS member: may it be (or stay) in a group? */
export interface MemberVerdict {
  valid: boolean;
  status: CertificateStatus | 'not_x509';
  fingerprint?: string;
  identity?: ClientIdentity;
  accountId?: string;
  deviceId?: string;
  /** Device ciphersuite on record (RFC 9420 code point). */
  deviceCiphersuite?: number;
  reasons: MemberReason[];
}

/** The device a credential names, with what the member rules need of its account. */
export interface DeviceStanding {
  id: string;
  accountId: string;
  /** Anything but 'active' keeps the member out. */
  status: string;
  ciphersuite: number;
  /** The account is active and not deleted. */
  accountActive: boolean;
}

/**
 * The member rules over what is known of a credential: certificate status, the §5.3.1 key
 * binding, and the device (and its account) it names. `device` is the device on record under
 * the credential's device id in the org, if any.
 */
export function memberVerdict(j: JudgedCredential, device: DeviceStanding | undefined, requireDevice = true): MemberVerdict {
  const reasons: MemberReason[] = [];
  if (j.status !== 'valid') reasons.push(`credential_${j.status}`);
  if (j.status !== 'not_x509' && !j.keyBound) reasons.push('key_mismatch');
  const verdict: MemberVerdict = { valid: false, status: j.status, fingerprint: j.fingerprint, identity: j.identity, reasons };
  if (j.identity?.kind === 'device') {
    if (!device || device.accountId !== j.identity.accountId) reasons.push('device_unknown');
    else {
      verdict.accountId = device.accountId;
      verdict.deviceId = device.id;
      verdict.deviceCiphersuite = device.ciphersuite;
      if (device.status !== 'active') reasons.push('device_revoked');
      if (!device.accountActive) reasons.push('account_inactive');
    }
  } else if (j.identity?.kind === 'service') {
    if (requireDevice) reasons.push('not_a_device');
  }
  verdict.valid = reasons.length === 0;
  return verdict;
}

/** KeyPackage validation: the package's suite must be the one its device enrolled with. */
export function withKeyPackageSuite(verdict: MemberVerdict, suite: number): MemberVerdict {
  if (verdict.deviceCiphersuite === undefined || verdict.deviceCiphersuite === suite) return verdict;
  return { ...verdict, valid: false, reasons: [...verdict.reasons, 'ciphersuite_mismatch'] };
}
