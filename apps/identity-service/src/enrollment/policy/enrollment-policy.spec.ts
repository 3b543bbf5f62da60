import { refusalOf } from '../enrollment-refusal.testing.js';
import { checkDeviceAllowed, checkFlowAllowed, devicesToRevokeForLimit, enrollmentPolicyOf, type EnrollmentPolicy } from './enrollment-policy.js';

/** The code an enrollment rule refuses with, or undefined when it allows. */
const policy = (over: Partial<EnrollmentPolicy> = {}): EnrollmentPolicy => ({
  allowJitAccounts: false,
  maxActiveDevicesPerAccount: 3,
  onLimit: 'refuse',
  allowedCiphersuites: [0x0001, 0x0002],
  allowedPlatforms: null,
  allowedFlows: ['native', 'redirect', 'device'],
  maxSignInAgeS: 600,
  maxPendingSessions: 200,
  promptLogin: false,
  ...over,
});

describe('enrollment policy', () => {
  describe('allowed flows', () => {
    it('refuses a flow the org left out, with flow_not_allowed', () => {
      expect(refusalOf(() => checkFlowAllowed(policy({ allowedFlows: ['native', 'redirect'] }), 'device'))).toBe('flow_not_allowed');
      expect(refusalOf(() => checkFlowAllowed(policy({ allowedFlows: ['native', 'redirect'] }), 'redirect'))).toBeUndefined();
    });

    it('allows every flow by default, and rejects an unknown flow in stored settings', () => {
      expect(enrollmentPolicyOf({}).allowedFlows).toEqual(['native', 'redirect', 'device']);
      expect(refusalOf(() => enrollmentPolicyOf({ enrollment: { allowedFlows: ['carrier-pigeon'] } }))).toBe('policy_invalid');
    });
  });

  describe('the org settings as policy', () => {
    it('is the defaults when the org stores none', () => {
      expect(enrollmentPolicyOf({})).toMatchObject({
        allowJitAccounts: false,
        maxActiveDevicesPerAccount: 10,
        onLimit: 'refuse',
        allowedPlatforms: null,
      });
      expect(enrollmentPolicyOf(null)).toEqual(enrollmentPolicyOf({}));
    });

    it('applies stored values over the defaults', () => {
      expect(enrollmentPolicyOf({ enrollment: { allowJitAccounts: true, maxActiveDevicesPerAccount: 2 } })).toMatchObject({
        allowJitAccounts: true,
        maxActiveDevicesPerAccount: 2,
        onLimit: 'refuse',
      });
    });

    it('refuses enrollment rather than half-applying a stored policy that is invalid', () => {
      expect(refusalOf(() => enrollmentPolicyOf({ enrollment: { maxActiveDevicesPerAccount: 0 } }))).toBe('policy_invalid');
      expect(refusalOf(() => enrollmentPolicyOf({ enrollment: { onLimit: 'shrug' } }))).toBe('policy_invalid');
    });
  });

  describe('cipher suites and platforms', () => {
    it('allows a listed cipher suite on any platform when platforms are not restricted', () => {
      expect(refusalOf(() => checkDeviceAllowed(policy(), { ciphersuite: 0x0001, platform: 'ios' }))).toBeUndefined();
    });

    it('refuses a cipher suite the org does not list', () => {
      expect(refusalOf(() => checkDeviceAllowed(policy(), { ciphersuite: 0x0003, platform: 'ios' }))).toBe('ciphersuite_not_allowed');
    });

    it('refuses a platform outside a restricted list, and checks the cipher suite first', () => {
      const restricted = policy({ allowedPlatforms: ['macos', 'ios'] });
      expect(refusalOf(() => checkDeviceAllowed(restricted, { ciphersuite: 0x0002, platform: 'macos' }))).toBeUndefined();
      expect(refusalOf(() => checkDeviceAllowed(restricted, { ciphersuite: 0x0002, platform: 'linux' }))).toBe('platform_not_allowed');
      expect(refusalOf(() => checkDeviceAllowed(restricted, { ciphersuite: 0x0007, platform: 'linux' }))).toBe('ciphersuite_not_allowed');
    });
  });

  describe('the device limit', () => {
    it('leaves the account alone below the limit', () => {
      expect(devicesToRevokeForLimit(policy(), [])).toEqual([]);
      expect(devicesToRevokeForLimit(policy(), ['d1', 'd2'])).toEqual([]);
    });

    it('refuses the new device at the limit when the org says refuse', () => {
      expect(refusalOf(() => devicesToRevokeForLimit(policy(), ['d1', 'd2', 'd3']))).toBe('device_limit_reached');
    });

    it('names the oldest devices to revoke when the org says revoke-oldest, enough to make room for one', () => {
      const oldest = policy({ onLimit: 'revoke-oldest' });
      expect(devicesToRevokeForLimit(oldest, ['d1', 'd2', 'd3'])).toEqual(['d1']);
      // A limit lowered after the fact: everything above it goes, oldest first.
      expect(devicesToRevokeForLimit(oldest, ['d1', 'd2', 'd3', 'd4', 'd5'])).toEqual(['d1', 'd2', 'd3']);
    });
  });
});
