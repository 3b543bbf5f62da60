import { refuse } from '../enrollment-refusal.js';

/** What an org allows at enrollment, stored as `org.settings.enrollment` (policy is data). */
export interface EnrollmentPolicy {
  /** Create the account at first sign-in when SCIM has not provisioned it. */
  allowJitAccounts: boolean;
  maxActiveDevicesPerAccount: number;
  /** At the limit: refuse the new device, or revoke the account's oldest active device. */
  onLimit: 'refuse' | 'revoke-oldest';
  /** RFC 9420 cipher suites; a device asking for another is refused. */
  allowedCiphersuites: number[];
  /** null: any platform. */
  allowedPlatforms: string[] | null;
}

/** Safe defaults: no account appears by itself, and a handful of devices per person. */
export const DEFAULT_ENROLLMENT_POLICY: EnrollmentPolicy = {
  allowJitAccounts: false,
  maxActiveDevicesPerAccount: 10,
  onLimit: 'refuse',
  allowedCiphersuites: [0x0001, 0x0002, 0x0003, 0x0007],
  allowedPlatforms: null,
};

const KEYS = new Set(Object.keys(DEFAULT_ENROLLMENT_POLICY));
const PLATFORM = /^[a-z0-9][a-z0-9._-]{0,31}$/;

export class EnrollmentPolicyError extends Error {
  readonly code = 'ERR_ENROLLMENT_POLICY_INVALID';
}

/**
 * Reads and validates `org.settings.enrollment`. Unknown members are errors, not ignored:
 * a misspelt `maxActiveDevicesPerAcount` must not silently mean "the default".
 */
export function parseEnrollmentPolicy(settings: Record<string, unknown> | null | undefined): EnrollmentPolicy {
  const raw = settings?.enrollment;
  if (raw === undefined || raw === null) return { ...DEFAULT_ENROLLMENT_POLICY };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new EnrollmentPolicyError('settings.enrollment must be an object');
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KEYS.has(key)) throw new EnrollmentPolicyError(`settings.enrollment.${key} is not a known policy`);
  }
  const policy = { ...DEFAULT_ENROLLMENT_POLICY };
  if (given.allowJitAccounts !== undefined) {
    if (typeof given.allowJitAccounts !== 'boolean') throw new EnrollmentPolicyError('allowJitAccounts must be a boolean');
    policy.allowJitAccounts = given.allowJitAccounts;
  }
  if (given.maxActiveDevicesPerAccount !== undefined) {
    const n = given.maxActiveDevicesPerAccount;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) {
      throw new EnrollmentPolicyError('maxActiveDevicesPerAccount must be a whole number from 1 to 1000');
    }
    policy.maxActiveDevicesPerAccount = n;
  }
  if (given.onLimit !== undefined) {
    if (given.onLimit !== 'refuse' && given.onLimit !== 'revoke-oldest') {
      throw new EnrollmentPolicyError("onLimit must be 'refuse' or 'revoke-oldest'");
    }
    policy.onLimit = given.onLimit;
  }
  if (given.allowedCiphersuites !== undefined) {
    const list = given.allowedCiphersuites;
    if (!Array.isArray(list) || list.length === 0 || !list.every((c) => Number.isInteger(c) && c > 0 && c <= 0xffff)) {
      throw new EnrollmentPolicyError('allowedCiphersuites must be a non-empty list of cipher suite numbers');
    }
    policy.allowedCiphersuites = list as number[];
  }
  if (given.allowedPlatforms !== undefined && given.allowedPlatforms !== null) {
    const list = given.allowedPlatforms;
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && PLATFORM.test(p))) {
      throw new EnrollmentPolicyError('allowedPlatforms must be a list of platform names (lower case)');
    }
    policy.allowedPlatforms = list as string[];
  }
  return policy;
}

/** The org's policy, or a refusal naming what is wrong with it. */
export function enrollmentPolicyOf(settings: Record<string, unknown>): EnrollmentPolicy {
  try {
    return parseEnrollmentPolicy(settings);
  } catch (e) {
    if (e instanceof EnrollmentPolicyError) refuse('policy_invalid', `the org's enrollment policy is invalid: ${e.message}`);
    throw e;
  }
}

/** The checks that need only the request: cipher suite and platform. */
export function checkDeviceAllowed(policy: EnrollmentPolicy, device: { ciphersuite: number; platform: string }): void {
  if (!policy.allowedCiphersuites.includes(device.ciphersuite)) {
    refuse('ciphersuite_not_allowed', `cipher suite 0x${device.ciphersuite.toString(16).padStart(4, '0')} is not allowed in this org`);
  }
  if (policy.allowedPlatforms !== null && !policy.allowedPlatforms.includes(device.platform)) {
    refuse('platform_not_allowed', `platform ${device.platform} is not allowed in this org`);
  }
}
