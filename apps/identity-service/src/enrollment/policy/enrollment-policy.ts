import { effectiveSettings, settingsProblems, type EnrollmentPolicy } from '../../orgs/index.js';
import { refuse } from '../enrollment.errors.js';

export type { EnrollmentPolicy };

/**
 * The org's enrollment policy (`org.settings.enrollment` over the defaults). Settings are
 * validated when written; a stored document that fails validation anyway (written by hand,
 * or by an older version) refuses enrollment rather than being half-applied.
 */
export function enrollmentPolicyOf(settings: Record<string, unknown> | null | undefined): EnrollmentPolicy {
  const stored = settings?.enrollment;
  if (stored !== undefined) {
    const problems = settingsProblems({ enrollment: stored });
    if (problems.length > 0) refuse('policy_invalid', `the org's enrollment policy is invalid: ${problems.join('; ')}`);
  }
  return effectiveSettings(settings).enrollment;
}

/** The org's allowed-flows policy: an org may refuse, say, the device flow altogether. */
export function checkFlowAllowed(policy: EnrollmentPolicy, flow: 'native' | 'redirect' | 'device'): void {
  if (!policy.allowedFlows.includes(flow)) refuse('flow_not_allowed', `this org does not allow the ${flow} enrollment flow`, { flow });
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

/**
 * The device limit at enrollment, given the account's active devices oldest first: the
 * devices to revoke to make room (none below the limit), or a refusal when the org refuses
 * at the limit.
 */
export function devicesToRevokeForLimit(policy: EnrollmentPolicy, activeOldestFirst: readonly string[]): string[] {
  const excess = activeOldestFirst.length - policy.maxActiveDevicesPerAccount + 1;
  if (excess <= 0) return [];
  if (policy.onLimit === 'refuse') {
    refuse('device_limit_reached', `the account already has ${activeOldestFirst.length} active devices (limit ${policy.maxActiveDevicesPerAccount})`);
  }
  return activeOldestFirst.slice(0, excess);
}
